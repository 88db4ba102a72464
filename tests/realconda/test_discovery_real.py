"""Discovery against the real conda 26.7.1: `jupyter env-manager list --json` shows the
environments `conda env list --json` shows, with conda's names, base included.

Every environment here is made by conda itself (`create -n`, `create -p`), in every
kind of envs dir conda uses: `<base>/envs`, `~/.conda/envs`, a `~/.condarc`
`envs_dirs` entry, a condarc in `$CONDA_ROOT`, `CONDA_ENVS_PATH`. Each test has its
own HOME; the base is the session's real conda (a Miniforge-like layout).

conda run as root reads the environments.txt of every home in /etc/passwd instead of
$HOME's, so prefix (`-p`) envs registered in the test's HOME are missing from its
list while we show them; the comparison accounts for exactly that (see
`expected_view`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from jupyter_env_manager.core import conda_config, discovery

from .helpers import (
    conda_create,
    conda_info,
    conda_view,
    env_manager,
    other_homes_prefixes,
    our_list,
    own_registry,
    user_environ,
)


@pytest.fixture
def tag() -> str:
    # Envs in the shared base's envs dir need names no other test uses.
    return uuid.uuid4().hex[:6]


@pytest.fixture
def in_base(real_conda, tag):
    """Names of envs a test puts in the shared `<base>/envs`; removed afterwards."""
    made: list[str] = []
    yield lambda name: made.append(f"{name}-{tag}") or made[-1]
    for name in made:
        real_conda.run(
            "env", "remove", "-y", "-q", "-p", str(real_conda.envs_dir / name), check=False
        )


def expected_view(real_conda, env: dict[str, str], home: Path) -> dict[str, str]:
    """conda's view, corrected for its as-root reading of other homes' registries."""
    view = conda_view(real_conda, env)
    envs_dirs = set(conda_info(real_conda, env)["envs_dirs"])
    for prefix in other_homes_prefixes(home):
        if prefix in view and str(Path(prefix).parent) not in envs_dirs:
            del view[prefix]
    for prefix in own_registry(home):
        view.setdefault(prefix, prefix)  # outside conda's envs dirs: named by path
    return view


def test_list_equals_conda_env_list_in_every_kind_of_envs_dir(
    real_conda, local_channel, tmp_path, in_base
):
    home = tmp_path / "home"
    rc_envs, root_rc_envs, path_envs = (
        tmp_path / d for d in ("rc-envs", "croot-envs", "path-envs")
    )
    home.mkdir()
    (home / ".condarc").write_text(f"envs_dirs:\n  - {rc_envs}\n")
    # $CONDA_ROOT's condarc replaces the base's own (conda sets CONDA_ROOT to its prefix
    # when unset): keep the base's settings (its solver) and add an envs dir.
    croot = tmp_path / "croot"
    croot.mkdir()
    base_rc = (real_conda.root / ".condarc").read_text()
    (croot / ".condarc").write_text(f"{base_rc}\nenvs_path:\n  - {root_rc_envs}\n")
    env = user_environ(real_conda, home, CONDA_ENVS_PATH=str(path_envs), CONDA_ROOT=str(croot))
    info = conda_info(real_conda, env)
    # The order conda itself uses (sanity: the setup means what the test says).
    assert info["envs_dirs"][:3] == [str(path_envs), str(rc_envs), str(root_rc_envs)]

    base_env = in_base("in-base")
    made = {
        "named": ("-n", "named"),  # the first writable dir: CONDA_ENVS_PATH's
        "in-rc": ("-p", str(rc_envs / "in-rc")),
        "in-croot": ("-p", str(root_rc_envs / "in-croot")),
        base_env: ("-p", str(real_conda.envs_dir / base_env)),
        "in-user": ("-p", str(home / ".conda" / "envs" / "in-user")),
        "outside": ("-p", str(tmp_path / "projects" / "outside")),
    }
    for target in made.values():
        conda_create(real_conda, env, local_channel, target, "alpha")
    assert (path_envs / "named" / "conda-meta").is_dir()

    view = expected_view(real_conda, env, home)
    ours = our_list(env)
    assert ours == view
    # Named as conda names them: base, folder names, the outside one by its path.
    assert ours[str(real_conda.root)] == "base"
    for name in ("named", "in-rc", "in-croot", base_env, "in-user"):
        assert name in ours.values()
    assert ours[str(tmp_path / "projects" / "outside")] == str(tmp_path / "projects" / "outside")


def test_miniforge_user_without_conda_exe_sees_base_and_names(
    real_conda, local_channel, tmp_path, in_base
):
    # `conda init` puts condabin on PATH; CONDA_EXE is only set once a shell has
    # activated something, so a server started from a fresh shell has PATH alone.
    env = user_environ(real_conda, tmp_path / "home")
    env.pop("CONDA_EXE")
    name = in_base("mf")
    conda_create(real_conda, env, local_channel, ("-n", name), "alpha")
    assert (real_conda.envs_dir / name).is_dir()  # conda's -n goes to <base>/envs

    ours = our_list(env)
    assert ours == expected_view(real_conda, env, tmp_path / "home")
    assert ours[str(real_conda.root)] == "base"
    assert ours[str(real_conda.envs_dir / name)] == name

    # ...and every command finds it by that name, as `conda -n` does.
    assert "alpha" in env_manager(env, "packages", "-n", name, "--json").stdout


def test_new_named_envs_go_where_conda_puts_them(real_conda, local_channel, tmp_path, in_base):
    env = user_environ(real_conda, tmp_path / "home")
    theirs, ours_conda, ours_rattler = in_base("by-conda"), in_base("by-us"), in_base("by-rattler")
    conda_create(real_conda, env, local_channel, ("-n", theirs), "alpha")
    for name, engine in ((ours_conda, "conda"), (ours_rattler, "rattler")):
        env_manager(env, "create", "-n", name, "--engine", engine, "-c", local_channel, "alpha")
    for name in (theirs, ours_conda, ours_rattler):
        assert (real_conda.envs_dir / name / "conda-meta").is_dir(), name
    assert not (tmp_path / "home" / ".conda" / "envs").exists()
    # conda lists them by name too, and removes ours by name.
    view = conda_view(real_conda, env)
    assert view[str(real_conda.envs_dir / ours_conda)] == ours_conda
    env_manager(env, "remove", "-n", ours_rattler, "-y")
    assert not (real_conda.envs_dir / ours_rattler).exists()


def test_envs_path_dir_takes_new_envs_first(real_conda, local_channel, tmp_path):
    first = tmp_path / "team-envs"
    env = user_environ(real_conda, tmp_path / "home", CONDA_ENVS_PATH=str(first))
    conda_create(real_conda, env, local_channel, ("-n", "theirs"), "alpha")
    env_manager(env, "create", "-n", "ours", "--engine", "rattler", "-c", local_channel, "alpha")
    assert sorted(p.name for p in first.iterdir() if not p.name.startswith(".")) == [
        "ours",
        "theirs",
    ]
    assert our_list(env) == expected_view(real_conda, env, tmp_path / "home")


def test_a_conda_wrapper_on_path_costs_one_background_conda_info(
    real_conda, local_channel, tmp_path, in_base, monkeypatch
):
    """A `conda` whose location says nothing about the root (a wrapper script in a
    bin folder of its own): one `conda info --json` in the background, then listings
    know the root without running anything more."""
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "wrappers" / "conda"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {real_conda.exe} "$@"\n')
    wrapper.chmod(0o755)
    env = user_environ(real_conda, tmp_path / "home")
    name = in_base("wrapped")
    conda_create(real_conda, env, local_channel, ("-n", name), "alpha")
    env.pop("CONDA_EXE")
    env["PATH"] = os.pathsep.join(
        [str(wrapper.parent)]
        + [p for p in env["PATH"].split(os.pathsep) if not Path(p, "conda").exists()]
    )
    monkeypatch.setenv("HOME", env["HOME"])

    first = discovery.Locations.default(environ=env)
    assert first.root_prefix is None  # not known yet; the lookup runs meanwhile
    assert conda_config.conda_info(str(wrapper)) is not None  # wait for that one lookup
    for _ in range(3):
        later = discovery.Locations.default(environ=env)
        names = {e.prefix: e.name for e in discovery.list_environments(later)}
        assert names[real_conda.root] == "base"
        assert names[real_conda.envs_dir / name] == name
    assert calls.read_text().splitlines() == ["info --json"]


_NO_SUBPROCESS = """
import sys

def refuse(event, args):
    if event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.spawn"):
        raise RuntimeError(f"listing started a process: {event} {args[:2]}")

sys.addaudithook(refuse)
from jupyter_env_manager.cli.main import main
sys.exit(main(["list", "--json"]))
"""


def test_listing_starts_no_process(real_conda, local_channel, tmp_path, in_base):
    """Proof by audit hook: the CLI lists base and named envs with every way of
    starting a process refused, conda found only from CONDA_EXE (not on PATH)."""
    env = user_environ(real_conda, tmp_path / "home")
    name = in_base("quiet")
    conda_create(real_conda, env, local_channel, ("-n", name), "alpha")
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not Path(p, "conda").exists()
    )
    done = subprocess.run(
        [sys.executable, "-c", _NO_SUBPROCESS], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f'"name": "{name}"' in done.stdout
    assert '"name": "base"' in done.stdout


def test_locations_follow_conda_info(real_conda, tmp_path, monkeypatch):
    """Our envs_dirs order and root equal `conda info --json`'s with every source at
    once (in-process, so the comparison covers `Locations` directly)."""
    home = tmp_path / "home"
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "condarc").write_text(f"envs_dirs: [{tmp_path / 'dot-conda-rc'}]\n")
    (home / ".condarc").write_text(f"envs_dirs:\n  - {tmp_path / 'a'}\n  - ~/b\n")
    xdg = tmp_path / "xdg"
    (xdg / "conda" / "condarc.d").mkdir(parents=True)
    (xdg / "conda" / "condarc.d" / "10-team.yml").write_text("envs_dirs: [$TEAM_DIR/envs]\n")
    croot = tmp_path / "croot"
    (croot / "condarc.d").mkdir(parents=True)
    (croot / ".condarc").write_text(
        (real_conda.root / ".condarc").read_text() + f"envs_dirs: [{tmp_path / 'croot'}]\n"
    )
    (croot / "condarc.d" / "a.yml").write_text(f"envs_dirs: [{tmp_path / 'croot-a'}]\n")
    (croot / "condarc.d" / "b.yaml").write_text(f"envs_dirs: [{tmp_path / 'croot-b'}]\n")
    active = tmp_path / "active-env"
    (active / "conda-meta").mkdir(parents=True)
    (active / ".condarc").write_text(f"envs_dirs: [{tmp_path / 'act'}, {tmp_path / 'a'}]\n")
    (tmp_path / "team.yml").write_text(f"envs_dirs: [{tmp_path / 'condarc-var'}]\n")
    env = user_environ(
        real_conda,
        home,
        CONDA_ENVS_DIRS=os.pathsep.join([str(tmp_path / "e1"), str(tmp_path / "e2")]),
        XDG_CONFIG_HOME=str(xdg),
        TEAM_DIR=str(tmp_path / "team"),
        CONDA_ROOT=str(croot),
        CONDA_PREFIX=str(active),
        CONDARC=str(tmp_path / "team.yml"),
    )
    info = conda_info(real_conda, env)
    assert len(info["envs_dirs"]) == 13  # every source above counted (a sanity check)
    monkeypatch.setenv("HOME", str(home))  # ~ in condarc files and ~/.conda/envs
    locations = discovery.Locations.default(environ=env)
    assert [str(p) for p in locations.conda_envs_dirs] == info["envs_dirs"]
    assert str(locations.root_prefix) == info["root_prefix"]
