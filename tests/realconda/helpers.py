"""Shared by the real-conda tests: a user's shell around the session's real conda,
and conda's own view of the environments to compare ours against."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
CHANNEL_ARGS = ("--override-channels", "--offline")


def user_environ(real_conda, home: Path, **extra: str) -> dict[str, str]:
    """A shell where the real conda's base is initialised, with its own HOME."""
    home.mkdir(parents=True, exist_ok=True)
    env = real_conda.environ()
    env["HOME"] = str(home)
    # Our CLI and server keep state under these; keep them in the test's HOME too.
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        env.pop(name, None)
    env.update(extra)
    return env


def conda(real_conda, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return real_conda.run(*args, env=env)


def conda_create(real_conda, env, channel: str, target: tuple[str, str], *specs: str) -> None:
    """`conda create -y -n NAME` or `-p PREFIX` from the local channel."""
    conda(real_conda, env, "create", "-y", "-q", *target, "-c", channel, *CHANNEL_ARGS, *specs)


def conda_info(real_conda, env: dict[str, str]) -> dict:
    return json.loads(conda(real_conda, env, "info", "--json").stdout)


def conda_view(real_conda, env: dict[str, str]) -> dict[str, str]:
    """prefix -> conda's name (the prefix itself when conda gives none), as
    `conda env list --json` reports them."""
    listed = json.loads(conda(real_conda, env, "env", "list", "--json").stdout)
    details = listed.get("envs_details", {})
    return {p: (details.get(p, {}).get("name") or p) for p in listed["envs"]}


def other_homes_prefixes(home: Path) -> set[str]:
    """What conda, run as root, adds from the environments.txt of every home in
    /etc/passwd (not $HOME): those envs belong to other users' registries."""
    if os.geteuid() != 0:
        return set()
    found: set[str] = set()
    for entry in pwd.getpwall():
        txt = Path(entry.pw_dir or "/nonexistent") / ".conda" / "environments.txt"
        if txt.parent.parent == home:
            continue
        try:
            lines = txt.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        found |= {line.strip() for line in lines if (Path(line.strip()) / "conda-meta").is_dir()}
    return found


def own_registry(home: Path) -> set[str]:
    """Prefixes in $HOME/.conda/environments.txt that still are envs."""
    txt = home / ".conda" / "environments.txt"
    try:
        lines = txt.read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {
        line.strip() for line in lines if (Path(line.strip()) / "conda-meta" / "history").is_file()
    }


def env_manager(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`jupyter env-manager ARGS` typed in that shell; `check`: it must succeed."""
    done = subprocess.run(
        [JUPYTER, "env-manager", *args], capture_output=True, text=True, env=env, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def our_list(env: dict[str, str]) -> dict[str, str]:
    """prefix -> name from `jupyter env-manager list --json`, run as a user would."""
    done = env_manager(env, "list", "--json")
    return {e["prefix"]: e["name"] for e in json.loads(done.stdout) if e["kind"] == "conda"}
