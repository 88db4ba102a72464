"""Which environments may be used but not changed, and why.

On a shared server (JupyterHub with a system `/opt/conda/envs`, a read-only image)
some environments live where the user cannot write. They stay listed and usable as
kernels; every change is refused before it starts, instead of failing halfway
through an install with a permission error. A deployment can also name
environments (`EnvManager.protected_environments`) that users may use but not
change even where the file system would let them.

The checks are `os.access` calls on a few folders: cheap enough for every listing,
and right for a read-only mount too (access() answers EROFS even for root).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import ReadOnlyEnvironment
from .models import Environment
from .paths import path_key


def _writable(path: Path | str) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def _folders_changed_by_installs(env: Environment) -> list[Path]:
    """What an install or removal writes into: the prefix itself and `conda-meta/`
    for conda, `lib/` (site-packages) for a venv."""
    inner = "conda-meta" if env.kind == "conda" else ("Lib" if os.name == "nt" else "lib")
    return [env.prefix, env.prefix / inner]


def is_protected(env: Environment, protected: Iterable[str]) -> bool:
    """`env` is named in `protected` by its name or by its prefix."""
    for entry in protected:
        if entry == env.name:
            return True
        if os.path.isabs(os.path.expanduser(entry)) and path_key(
            os.path.expanduser(entry)
        ) == path_key(env.prefix):
            return True
    return False


def read_only_reason(env: Environment, protected: Iterable[str] = ()) -> str | None:
    """Why `env` must not be changed from here, or None when it may be."""
    if is_protected(env, protected):
        return "it is listed in EnvManager.protected_environments: it may be used, not changed"
    for folder in _folders_changed_by_installs(env):
        # One access() per folder when writable, the common case on every listing.
        if not _writable(folder) and folder.is_dir():
            where = (
                "it lives in a folder you cannot write"
                if folder == env.prefix
                else (f"you cannot write its {folder.relative_to(env.prefix)} folder")
            )
            return f"{where} ({folder})"
    return None


def clone_hint(env: Environment) -> str:
    suggested = f"my-{env.prefix.name}"
    return f"jupyter env-manager clone {env.name} -n {suggested}"


def refuse_change(env: Environment, what: str) -> ReadOnlyEnvironment:
    """The error for a change to a read-only env: says why, and offers a clone."""
    reason = env.read_only_reason or "it is read-only"
    return ReadOnlyEnvironment(
        f"Cannot {what} {env.name!r}: {reason}. Clone it to change a copy of your own "
        f"({clone_hint(env)}).",
        details={
            "environment": env.name,
            "reason": reason,
            "clone": {"source": env.name, "suggested_name": f"my-{env.prefix.name}"},
        },
    )


def check_parent_writable(env: Environment) -> None:
    """Removing a prefix deletes its entry from the folder holding it."""
    parent = env.prefix.parent
    if not _writable(parent):
        raise ReadOnlyEnvironment(
            f"Cannot remove {env.name!r}: it lives in {parent}, a folder you cannot write.",
            details={"environment": env.name, "reason": f"{parent} is not writable"},
        )
