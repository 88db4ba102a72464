"""Environment discovery on prefixes generated in temporary directories.

The prefixes have the layout conda and venv leave on disk (conda-meta/*.json
records + history, pyvenv.cfg, lib/pythonX.Y/site-packages); discovery reads only
files, so these are the real inputs it sees.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from jupyter_env_manager.core.discovery import (
    ENGINE_MARKER,
    Locations,
    find_environment,
    list_environments,
    prefix_size,
    read_environments_txt,
    register_conda_env,
    unregister_conda_env,
    write_engine_marker,
)


def make_conda_prefix(prefix: Path, *, python: str | None = "3.11", ipykernel=False) -> Path:
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "history").write_text(
        "==> 2024-01-01 00:00:00 <==\n# cmd: conda create\n+defaults::zlib-1.3-0\n"
    )
    (meta / "zlib-1.3-0.json").write_text(
        json.dumps({"name": "zlib", "version": "1.3", "build": "0", "files": ["lib/libz.so"]})
    )
    (prefix / "lib").mkdir()
    (prefix / "lib" / "libz.so").write_bytes(b"\0" * 4096)
    if python:
        site = prefix / "lib" / f"python{python}" / "site-packages"
        site.mkdir(parents=True)
        if ipykernel:
            (site / "ipykernel").mkdir()
    return prefix


def make_venv(prefix: Path, *, version="3.11.9", ipykernel=True) -> Path:
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n")
    if ipykernel:
        (site / "ipykernel").mkdir()
    return prefix


@pytest.fixture
def machine(tmp_path):
    root = make_conda_prefix(tmp_path / "miniforge", python="3.12", ipykernel=True)
    envs = root / "envs"
    make_conda_prefix(envs / "analysis", ipykernel=True)
    make_conda_prefix(envs / "r-only", python=None)
    (envs / "not-an-env").mkdir()  # a stray folder: no conda-meta, no pyvenv.cfg
    user_envs = tmp_path / "home" / ".conda" / "envs"
    make_conda_prefix(user_envs / "scratch")
    venvs = make_venv(tmp_path / "venvs" / "web").parent
    elsewhere = make_conda_prefix(tmp_path / "projects" / "p1" / ".env")
    txt = tmp_path / "home" / ".conda" / "environments.txt"
    txt.write_text(
        "\n".join(
            [
                str(root),
                str(envs / "analysis"),
                str(envs / "analysis"),  # duplicate line
                str(elsewhere),
                str(tmp_path / "deleted-env"),  # listed but gone
                "",
            ]
        )
    )
    return Locations(
        conda_envs_dirs=[envs, user_envs],
        environments_txt=txt,
        venvs_dir=venvs,
        root_prefix=root,
    )


def test_lists_every_kind_once_base_first(machine, tmp_path):
    envs = list_environments(machine)
    names = [e.name for e in envs]
    assert names[0] == "base"
    assert sorted(names[1:], key=str.lower) == names[1:]
    assert set(names) == {
        "base",
        "analysis",
        "r-only",
        "scratch",
        "web",
        str(tmp_path / "projects" / "p1" / ".env"),
    }
    by_name = {e.name: e for e in envs}
    assert by_name["base"].is_base and by_name["base"].prefix == machine.root_prefix
    assert by_name["base"].python_version == "3.12"
    assert by_name["analysis"].has_ipykernel and by_name["analysis"].kind == "conda"
    assert by_name["r-only"].python_version is None
    assert by_name["web"].kind == "venv" and by_name["web"].engine == "uv"
    assert by_name["web"].python_version == "3.11.9"
    assert all(e.size_bytes is None for e in envs)


def test_prefix_made_by_our_engine_reports_it(machine):
    prefix = machine.conda_envs_dirs[0] / "analysis"
    write_engine_marker(prefix, "rattler")
    assert (prefix / ENGINE_MARKER).is_file()
    assert find_environment(machine, "analysis").engine == "rattler"
    assert find_environment(machine, "r-only").engine == "conda"


def test_corrupt_marker_falls_back_to_conda(machine):
    prefix = machine.conda_envs_dirs[0] / "analysis"
    (prefix / ENGINE_MARKER).write_text("{not json")
    assert find_environment(machine, "analysis").engine == "conda"


def test_find_by_name_and_by_prefix(machine, tmp_path):
    assert find_environment(machine, "scratch").prefix.name == "scratch"
    outside = tmp_path / "projects" / "p1" / ".env"
    found = find_environment(machine, str(outside))
    assert found is not None and found.name == str(outside)
    assert find_environment(machine, "nope") is None
    assert find_environment(machine, str(tmp_path / "deleted-env")) is None


def test_sizes_are_opt_in_and_track_changes(machine):
    envs = {e.name: e for e in list_environments(machine, with_sizes=True)}
    analysis = envs["analysis"]
    assert analysis.size_bytes is not None and analysis.size_bytes >= 4096
    site = next((analysis.prefix / "lib").glob("python*/site-packages"))
    (site / "big.bin").write_bytes(b"x" * 100_000)
    # Adding a file to site-packages changes its mtime, so the cache is not reused.
    assert prefix_size(analysis.prefix) >= analysis.size_bytes + 100_000


def test_last_change_follows_the_package_records(machine):
    """`modified` is when packages last changed: conda-meta/ of a conda env (a
    record per package), site-packages/ of a venv."""
    conda = machine.conda_envs_dirs[0] / "analysis"
    venv = machine.venvs_dir / "web"
    site = venv / "lib" / "python3.11" / "site-packages"
    os.utime(conda / "conda-meta", (1_700_000_000, 1_700_000_000))
    os.utime(site, (1_700_000_100, 1_700_000_100))
    envs = {e.name: e for e in list_environments(machine)}
    assert envs["analysis"].modified == 1_700_000_000
    assert envs["web"].modified == 1_700_000_100
    assert envs["analysis"].to_json()["modified"] == 1_700_000_000

    (conda / "conda-meta" / "six-1.16-0.json").write_text("{}")
    (site / "six").mkdir()
    envs = {e.name: e for e in list_environments(machine)}
    assert envs["analysis"].modified > 1_700_000_000
    assert envs["web"].modified > 1_700_000_100
    # A conda env without Python still has conda-meta/ to tell.
    assert envs["r-only"].modified is not None  # conda-meta/ still tells


def test_hard_links_are_counted_once(tmp_path):
    prefix = make_conda_prefix(tmp_path / "env", python=None)
    before = prefix_size(prefix)
    os.link(prefix / "lib" / "libz.so", prefix / "lib" / "libz.so.1")
    (prefix / "conda-meta" / "touch").write_text("")  # new mtime: recompute
    assert prefix_size(prefix) == before


def test_default_locations_from_environment_variables(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    root = make_conda_prefix(tmp_path / "mamba-root")
    custom = tmp_path / "custom-envs"
    (home / ".condarc").write_text(f"envs_dirs:\n  - {custom}\n")
    locations = Locations.default(environ={"MAMBA_ROOT_PREFIX": str(root)})
    assert locations.root_prefix == root
    assert locations.conda_envs_dirs == [custom, root / "envs", home / ".conda" / "envs"]
    assert locations.environments_txt == home / ".conda" / "environments.txt"

    exe_root = make_conda_prefix(tmp_path / "miniconda")
    (exe_root / "bin").mkdir()
    located = Locations.default(environ={"CONDA_EXE": str(exe_root / "bin" / "conda")})
    assert located.root_prefix == exe_root.resolve()
    activated = Locations.default(environ={"CONDA_PREFIX": str(exe_root / "envs" / "x")})
    assert activated.root_prefix == exe_root


def test_no_conda_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    locations = Locations.default(environ={})
    assert locations.root_prefix is None
    assert list_environments(locations) == []


def test_broken_condarc_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".condarc").write_text("envs_dirs: [unclosed\n")
    assert Locations.default(environ={}).conda_envs_dirs == [tmp_path / ".conda" / "envs"]


def test_register_and_unregister_like_conda(tmp_path):
    txt = tmp_path / ".conda" / "environments.txt"
    a, b = tmp_path / "a", tmp_path / "b"
    assert register_conda_env(a, txt) is True
    assert register_conda_env(b, txt) is True
    assert register_conda_env(a, txt) is False  # no duplicates
    assert txt.read_text() == f"{a}\n{b}\n"
    assert unregister_conda_env(a, txt) is True
    assert unregister_conda_env(a, txt) is False
    assert read_environments_txt(txt) == [b]
    # No temporary files left next to it.
    assert sorted(p.name for p in txt.parent.iterdir()) == ["environments.txt"]


def test_concurrent_registration_loses_nothing(tmp_path):
    txt = tmp_path / "environments.txt"
    prefixes = [tmp_path / f"env{i}" for i in range(40)]
    threads = [threading.Thread(target=register_conda_env, args=(p, txt)) for p in prefixes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(read_environments_txt(txt)) == sorted(prefixes)
