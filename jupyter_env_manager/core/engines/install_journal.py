"""A journal for changes made in place, so a process killed halfway leaves a way back.

Installers change an existing prefix file by file: a SIGKILL (or a power cut) in
the middle leaves some packages half linked, with files on disk and no record of
them. Before a change starts, the engine writes a journal into the prefix: the
package set it had (see package_set.py), what the change was about to add, and
the state files that change alongside (conda's history length, a venv's
requested.txt). The journal is deleted once the change has fully landed.

A journal found later means the change never finished; whoever next holds the
prefix's exclusive lock (the server at start, or any operation on it) puts the
prefix back to the recorded set before doing anything else.

The file is written to a temporary name, flushed and renamed, so a reader sees
either no journal or a whole one. It lives at the prefix's top, beside the
engine marker, never in conda-meta/ (conda and rattler parse every
`conda-meta/*.json` as a package record).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..package_set import PackageSet

JOURNAL_NAME = ".jupyter-env-manager-transaction.json"
FORMAT = 1


@dataclass(frozen=True)
class Journal:
    """`target`: the conda records the change was installing (name, version, build,
    file name, url, sha256, noarch), whose files a half-linked package left behind;
    `site_entries`: a venv's top-level site-packages names before the change;
    `package_dirs`: where a conda tool extracts packages (what it may have half linked
    is among them); `tool_pid`: the tool process making the change, which may outlive
    a killed server (conda does)."""

    operation: str
    engine: str
    before: PackageSet
    target: tuple[dict[str, Any], ...] = ()
    history_size: int | None = None
    requested: str | None = None
    site_entries: tuple[str, ...] | None = None
    package_dirs: tuple[str, ...] = ()
    tool_pid: int | None = None
    pid: int = field(default_factory=os.getpid)
    started: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "operation": self.operation,
            "engine": self.engine,
            "before": self.before.to_json(),
            "target": list(self.target),
            "history_size": self.history_size,
            "requested": self.requested,
            "site_entries": list(self.site_entries) if self.site_entries is not None else None,
            "package_dirs": list(self.package_dirs),
            "tool_pid": self.tool_pid,
            "pid": self.pid,
            "started": self.started,
        }

    @classmethod
    def from_json(cls, data: Any) -> Journal:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a transaction journal of this version")
        # Imported here: every listing asks `has_journal`, and only a journal read needs
        # the package records' parser.
        from ..package_set import PackageSet

        entries = data.get("site_entries")
        return cls(
            operation=str(data.get("operation") or "change"),
            engine=str(data.get("engine") or ""),
            before=PackageSet.from_json(data.get("before")),
            target=tuple(r for r in data.get("target") or [] if isinstance(r, dict)),
            history_size=data.get("history_size"),
            requested=data.get("requested"),
            site_entries=tuple(entries) if isinstance(entries, list) else None,
            package_dirs=tuple(str(d) for d in data.get("package_dirs") or []),
            tool_pid=data.get("tool_pid") if isinstance(data.get("tool_pid"), int) else None,
            pid=int(data.get("pid") or 0),
            started=float(data.get("started") or 0.0),
        )


def tool_alive(journal: Journal) -> bool:
    """True while the tool that made the journaled change still runs."""
    if not journal.tool_pid:
        return False
    try:
        with open(f"/proc/{journal.tool_pid}/stat", encoding="utf-8") as handle:
            state = handle.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def journal_path(prefix: Path) -> Path:
    return Path(prefix) / JOURNAL_NAME


def has_journal(prefix: Path) -> bool:
    return journal_path(prefix).is_file()


def write_journal(prefix: Path, journal: Journal) -> None:
    """Write the journal durably: the change may start only once it is on disk."""
    target = journal_path(prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{JOURNAL_NAME}.", suffix=".tmp", dir=prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(journal.to_json(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_dir(Path(prefix))


def read_journal(prefix: Path) -> Journal | None:
    """The journal of an unfinished change, or None. A journal that cannot be read
    raises ValueError: the prefix's state is then unknown, not fine."""
    try:
        text = journal_path(prefix).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Journal.from_json(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"unreadable transaction journal in {prefix}: {exc}") from None


def clear_journal(prefix: Path) -> None:
    """The change has landed (or was undone): forget the way back."""
    journal_path(prefix).unlink(missing_ok=True)
    for leftover in Path(prefix).glob(f"{JOURNAL_NAME}.*.tmp"):
        leftover.unlink(missing_ok=True)
    _sync_dir(Path(prefix))


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
