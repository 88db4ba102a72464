"""conda's root and envs_dirs, found as conda 26 finds them (rules read from conda/conda
26.7.1: `conda/base/context.py` `mockable_context_envs_dirs`, `root_writable`;
`conda/base/constants.py` `SEARCH_PATH`; `conda/common/configuration.py`
`SequenceLoadedParameter.merge`, `EnvRawParameter`). The real conda checks the same
on a real install in tests/realconda/test_discovery_real.py; these cover the layouts
one machine cannot have at once (Windows-style folders, read-only roots, micromamba).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_env_manager.core import conda_config, discovery

from .test_discovery import make_conda_prefix


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 1\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("where", ["condabin/conda", "bin/conda", "bin/mamba"])
def test_root_from_the_executable_found_on_path(tmp_path, home, where):
    root = make_conda_prefix(tmp_path / "miniforge")
    exe = executable(root / where)
    found = conda_config.conda_setup({"PATH": str(exe.parent)})
    assert found.root_prefix == root


def test_root_through_a_symlinked_executable(tmp_path, home):
    root = make_conda_prefix(tmp_path / "miniforge")
    exe = executable(root / "condabin" / "conda")
    link = tmp_path / "usr-local-bin" / "conda"
    link.parent.mkdir()
    link.symlink_to(exe)
    assert conda_config.find_root({"PATH": str(link.parent)}) == root


def test_windows_library_bin_layout(tmp_path, home):
    root = make_conda_prefix(tmp_path / "Miniforge3")
    exe = executable(root / "Library" / "bin" / "conda.bat")
    assert conda_config.root_of_executable(exe) == root


def test_precedence_configured_then_conda_exe_then_mamba_root_then_path(tmp_path, home):
    roots = {n: make_conda_prefix(tmp_path / n) for n in ("cfg", "exe", "mamba", "onpath")}
    environ = {
        "CONDA_EXE": str(executable(roots["exe"] / "bin" / "conda")),
        "MAMBA_ROOT_PREFIX": str(roots["mamba"]),
        "PATH": str(executable(roots["onpath"] / "condabin" / "conda").parent),
    }
    configured = str(executable(roots["cfg"] / "bin" / "conda"))
    setup = conda_config.conda_setup(environ, configured)
    assert setup.root_prefix == roots["cfg"]
    assert setup.other_roots == [roots["exe"], roots["mamba"], roots["onpath"]]
    assert conda_config.find_root(environ) == roots["exe"]
    del environ["CONDA_EXE"]
    assert conda_config.find_root(environ) == roots["mamba"]
    del environ["MAMBA_ROOT_PREFIX"]
    assert conda_config.find_root(environ) == roots["onpath"]


def test_an_executable_outside_any_root_is_not_a_root(tmp_path, home):
    # /usr/bin/conda of a distribution package: /usr is no conda prefix.
    exe = executable(tmp_path / "usr" / "bin" / "micromamba")
    assert conda_config.conda_setup({"PATH": str(exe.parent)}).root_prefix is None


def test_micromamba_default_root_when_only_micromamba_is_installed(tmp_path, home):
    exe = executable(tmp_path / "bin" / "micromamba")
    (home / ".local" / "share" / "mamba" / "envs" / "tools").mkdir(parents=True)
    setup = conda_config.conda_setup({"PATH": str(exe.parent)})
    assert setup.root_prefix == home / ".local" / "share" / "mamba"
    # A bare micromamba root (no base env) that is writable takes new envs first.
    assert setup.envs_dirs[0] == home / ".local" / "share" / "mamba" / "envs"


def test_activated_env_points_at_its_root(tmp_path, home):
    root = make_conda_prefix(tmp_path / "anaconda3")
    env = make_conda_prefix(root / "envs" / "work")
    assert conda_config.find_root({"CONDA_PREFIX": str(env)}) == root


def test_fixed_dirs_order_depends_on_root_writability(tmp_path, home):
    root = make_conda_prefix(tmp_path / "opt-conda")
    user = home / ".conda" / "envs"
    assert conda_config.envs_dirs({}, root) == [root / "envs", user]
    history = root / "conda-meta" / "history"
    history.chmod(0o444)
    try:
        if os.access(history, os.W_OK):
            pytest.skip("running as root: a read-only file is still writable")
        assert conda_config.envs_dirs({}, root) == [user, root / "envs"]
    finally:
        history.chmod(0o644)


def test_a_root_without_history_is_not_writable(tmp_path, home):
    # conda checks `conda-meta/history` (PREFIX_MAGIC_FILE), not the folder.
    root = make_conda_prefix(tmp_path / "shared-conda")
    (root / "conda-meta" / "history").unlink()
    assert conda_config.envs_dirs({}, root) == [home / ".conda" / "envs", root / "envs"]


def test_configured_dirs_most_important_source_first(tmp_path, home):
    root = make_conda_prefix(tmp_path / "root")
    (root / ".condarc").write_text(f"envs_dirs: [{tmp_path / 'from-root'}]\n")
    (root / "condarc.d").mkdir()
    (root / "condarc.d" / "a.yml").write_text(f"envs_dirs: [{tmp_path / 'from-root-d-a'}]\n")
    (root / "condarc.d" / "b.yaml").write_text(f"envs_dirs: [{tmp_path / 'from-root-d-b'}]\n")
    (root / "condarc.d" / "ignored.txt").write_text(f"envs_dirs: [{tmp_path / 'nope'}]\n")
    (home / ".condarc").write_text(
        f"envs_dirs:\n  - {tmp_path / 'user-1'}\n  - $PROJECTS/envs\n  - ~/user-3\n"
    )
    (home / ".conda").mkdir()
    (home / ".conda" / ".condarc").write_text(f"envs_path: [{tmp_path / 'dot-conda'}]\n")
    active = make_conda_prefix(root / "envs" / "active")
    (active / ".condarc").write_text(
        f"envs_dirs: [{tmp_path / 'from-active'}, {tmp_path / 'user-1'}]\n"
    )
    custom = tmp_path / "team.yml"  # conda reads $CONDARC only when named condarc or *.yml
    custom.write_text(f"envs_dirs: [{tmp_path / 'from-condarc-var'}]\n")
    environ = {
        "CONDA_ENVS_DIRS": os.pathsep.join([str(tmp_path / "env-1"), "", str(tmp_path / "env-2")]),
        "CONDA_PREFIX": str(active),
        "CONDARC": str(custom),
        "PROJECTS": str(tmp_path / "projects"),
    }
    assert conda_config.envs_dirs(environ, root) == [
        tmp_path / "env-1",
        tmp_path / "env-2",
        tmp_path / "from-condarc-var",
        tmp_path / "from-active",
        tmp_path / "user-1",  # listed by the active env's condarc too: first place kept
        tmp_path / "projects" / "envs",
        home / "user-3",
        tmp_path / "dot-conda",
        tmp_path / "from-root-d-b",  # condarc.d files later by name win over earlier ones
        tmp_path / "from-root-d-a",
        tmp_path / "from-root",
        root / "envs",
        home / ".conda" / "envs",
    ]


def test_condarc_edits_are_seen(tmp_path, home):
    rc = home / ".condarc"
    rc.write_text(f"envs_dirs: [{tmp_path / 'one'}]\n")
    assert conda_config.envs_dirs({}, None)[0] == tmp_path / "one"
    rc.write_text(f"envs_dirs: [{tmp_path / 'two-longer'}]\n")
    assert conda_config.envs_dirs({}, None)[0] == tmp_path / "two-longer"


def test_first_writable_envs_dir(tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    later = tmp_path / "later" / "envs"
    assert conda_config.first_writable_envs_dir([blocked / "envs", later]) == later


def test_locations_list_other_roots_envs_and_names_like_conda(tmp_path, home):
    conda_root = make_conda_prefix(tmp_path / "miniforge")
    make_conda_prefix(conda_root / "envs" / "dup")
    mamba_root = make_conda_prefix(tmp_path / "micromamba")
    make_conda_prefix(mamba_root / "envs" / "dup")
    make_conda_prefix(mamba_root / "envs" / "only-mamba")
    environ = {
        "CONDA_EXE": str(executable(conda_root / "condabin" / "conda")),
        "MAMBA_ROOT_PREFIX": str(mamba_root),
    }
    locations = discovery.Locations.default(environ=environ)
    assert locations.root_prefix == conda_root
    by_prefix = {e.prefix: e for e in discovery.list_environments(locations)}
    assert by_prefix[conda_root].name == "base"
    assert by_prefix[mamba_root].name == str(mamba_root)  # another root: by path
    assert by_prefix[mamba_root / "envs" / "only-mamba"].name == "only-mamba"
    # Two envs called dup: `-n dup` means the one in conda's first envs dir, as in conda.
    assert discovery.find_environment(locations, "dup").prefix == conda_root / "envs" / "dup"
    assert discovery.find_environment(locations, "root").prefix == conda_root
    assert discovery.find_environment(locations, "base").is_base
    assert locations.new_env_dir() == conda_root / "envs"


def test_explicit_root_replaces_the_search(tmp_path, home):
    found = make_conda_prefix(tmp_path / "found")
    chosen = make_conda_prefix(tmp_path / "chosen")
    environ = {"CONDA_EXE": str(executable(found / "bin" / "conda"))}
    assert discovery.Locations.default(environ=environ, root_prefix=chosen).root_prefix == chosen
    none = discovery.Locations.default(environ=environ, root_prefix="")
    assert none.root_prefix is None and none.conda_envs_dirs == [home / ".conda" / "envs"]
