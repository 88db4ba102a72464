"""Open the SQLite files this tool keeps (task history, grid state, the grid index)
the same way, with a schema version.

Each store lists its migrations in order; the file's `PRAGMA user_version` says how
many it has had, and opening it applies the rest in one transaction. Migration 1 of
every store is the schema the files had before versions existed, written with
`IF NOT EXISTS`, so a file from then opens as version 0 and simply becomes 1.
A file from a newer version of this tool is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .errors import EnvManagerError


class NewerStoreFile(EnvManagerError):
    status = 500


def open_store(
    path: Path, migrations: Sequence[str], *, row_factory: bool = False, foreign_keys: bool = False
) -> sqlite3.Connection:
    """A connection to `path` (made if missing) at the newest schema of `migrations`.

    One connection per store, shared across threads under the store's own lock:
    writes are small and every store lives in one process.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    if row_factory:
        db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    if foreign_keys:
        db.execute("PRAGMA foreign_keys=ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        db.close()
        raise NewerStoreFile(
            f"{path} was written by a newer jupyter-env-manager (schema {version}, this one "
            f"knows {len(migrations)}); upgrade, or move the file aside."
        )
    for number, script in enumerate(migrations[version:], start=version + 1):
        db.execute("BEGIN")
        try:
            for statement in (s.strip() for s in script.split(";")):
                if statement:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number:d}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            db.close()
            raise
    return db
