"""Delete an environment so that no one ever sees half of it.

A multi-GB prefix takes a while to delete, and a deletion can fail halfway (a busy
mount point, a file another user owns). So the prefix is first renamed aside in one
atomic step, which takes it out of every listing at once; only then is the renamed
folder deleted, off the event loop. A deletion that fails leaves no half-deleted
environment behind: the environment is gone, and the error names the folder still
holding what could not be deleted. A server that died mid-delete leaves such a
folder; `sweep_leftovers` finishes the job at the next start.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from .errors import EnvManagerError

_ASIDE_MARK = ".removing-"


class RemovalIncomplete(EnvManagerError):
    """The environment is gone from every listing, but some files stayed on disk."""

    status = 500


def _aside(prefix: Path) -> Path:
    return prefix.with_name(f".{prefix.name}{_ASIDE_MARK}{uuid.uuid4().hex[:8]}")


def delete_prefix(prefix: Path) -> None:
    """Rename `prefix` aside, then delete it; RemovalIncomplete names what is left."""
    aside = _aside(prefix)
    try:
        os.rename(prefix, aside)
    except OSError as error:
        raise EnvManagerError(
            f"Could not remove {prefix}: {error.strerror or error}; nothing was changed."
        ) from None
    _delete(aside, shown=prefix)


def _delete(folder: Path, *, shown: Path) -> None:
    failed: list[str] = []
    shutil.rmtree(folder, onerror=lambda _fn, path, _exc: failed.append(os.fspath(path)))
    if failed:
        raise RemovalIncomplete(
            f"{shown} is removed, but {len(failed)} item(s) could not be deleted and are "
            f"still in {folder} (first: {failed[0]}); delete that folder by hand.",
            details={"left_in": str(folder), "items": failed[:20]},
        )


def sweep_leftovers(parents: Iterable[Path]) -> list[Path]:
    """Delete folders a removal renamed aside but did not finish (best effort)."""
    swept = []
    for parent in parents:
        try:
            children = list(parent.iterdir())
        except OSError:
            continue
        for child in children:
            if child.name.startswith(".") and _ASIDE_MARK in child.name and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
                if not child.exists():
                    swept.append(child)
    return swept
