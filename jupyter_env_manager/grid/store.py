"""Grid state on disk (SQLite), so a crashed server or CLI can resume.

One row per grid (its plan as JSON) and one row per run, created up front as
`pending`. The run row is the reproducibility record: parameters with defaults
filled in, seed, environment fingerprint, kernel name, notebook hash, start/end,
status, error, output notebook path, metrics as JSON (floats written by `repr`,
so no precision is lost; NaN stays NaN).

Statuses: `pending` -> `running` -> one of the FINAL ones (`ok`, `failed`,
`timeout`, `refused`), or back to `pending`/`cancelled` when stopped. A final
status is written at most once (the UPDATE only matches a non-final row), which
is what makes "every run recorded exactly once" hold even when a lost worker's
task is rescheduled and reports twice. `resume` picks every non-final run;
`rerun_failed` turns `failed`/`timeout`/`refused` back into `pending` first.

Only the coordinator writes; WAL journaling keeps readers (a server listing
grids) from blocking it. `synchronous=NORMAL`: in WAL mode a commit then survives
the process being killed (what resume is for) and skips an fsync per run, which
cost milliseconds of the coordinator's loop for every run; only a power cut can
lose the last runs, which resume then runs again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.sqlite_store import open_store
from .errors import GridNotFound
from .plan import GridPlan

DB_NAME = "grid.sqlite"
FINAL_STATUSES = ("ok", "failed", "timeout", "refused")
FAILED_STATUSES = ("failed", "timeout", "refused")
RUN_STATUSES = ("pending", "running", "cancelled", *FINAL_STATUSES)

#: The schema's history, oldest first (see core/sqlite_store.py).
MIGRATIONS = [
    """
CREATE TABLE IF NOT EXISTS grids (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    notebook TEXT NOT NULL,
    notebook_hash TEXT NOT NULL,
    kernel_name TEXT NOT NULL,
    prefix TEXT,
    fingerprint TEXT,
    out_dir TEXT NOT NULL,
    plan TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'created'
);
CREATE TABLE IF NOT EXISTS runs (
    grid_id TEXT NOT NULL REFERENCES grids(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    replicate INTEGER NOT NULL,
    seed INTEGER,
    overrides TEXT NOT NULL,
    parameters TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    ended REAL,
    error TEXT,
    output TEXT,
    metrics TEXT,
    worker TEXT,
    kernel_name TEXT,
    notebook_hash TEXT,
    fingerprint TEXT,
    PRIMARY KEY (grid_id, idx)
);
""",
]


@dataclass(frozen=True)
class GridRecord:
    id: str
    created: float
    notebook: str
    notebook_hash: str
    kernel_name: str
    prefix: str | None
    fingerprint: str | None
    out_dir: str
    plan: dict[str, Any]
    status: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=False)


class GridStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = open_store(self.path, MIGRATIONS, row_factory=True, foreign_keys=True)
        self._db.execute("PRAGMA synchronous=NORMAL")

    @classmethod
    def in_dir(cls, out_dir: str | Path) -> GridStore:
        return cls(Path(out_dir) / DB_NAME)

    @staticmethod
    def holds_grid(out_dir: str | Path) -> bool:
        """True when `out_dir` already has a recorded grid."""
        return (Path(out_dir) / DB_NAME).is_file()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, tuple(params))

    # -- grids ---------------------------------------------------------------

    def create_grid(self, plan: GridPlan, out_dir: str | Path) -> str:
        grid_id = uuid.uuid4().hex[:12]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO grids (id, created, notebook, notebook_hash, kernel_name, prefix,"
                    " fingerprint, out_dir, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        grid_id,
                        time.time(),
                        str(Path(plan.notebook.path).resolve()),
                        plan.notebook.hash,
                        plan.target.kernel_name,
                        plan.target.prefix,
                        plan.fingerprint,
                        str(Path(out_dir).resolve()),
                        _dumps(plan.to_json()),
                    ),
                )
                self._db.executemany(
                    "INSERT INTO runs (grid_id, idx, replicate, seed, overrides, parameters,"
                    " kernel_name, notebook_hash, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            grid_id,
                            run.index,
                            run.replicate,
                            run.seed,
                            _dumps(run.overrides),
                            _dumps(run.parameters),
                            plan.target.kernel_name,
                            plan.notebook.hash,
                            plan.fingerprint,
                        )
                        for run in plan.runs
                    ],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return grid_id

    def grid(self, grid_id: str) -> GridRecord:
        row = self._execute("SELECT * FROM grids WHERE id = ?", (grid_id,)).fetchone()
        if row is None:
            raise GridNotFound(f"No grid {grid_id!r} in {self.path}.")
        data = dict(row)
        data["plan"] = json.loads(data["plan"])
        return GridRecord(**data)

    def grid_ids(self) -> list[str]:
        rows = self._execute("SELECT id FROM grids ORDER BY created").fetchall()
        return [row["id"] for row in rows]

    def latest_grid_id(self) -> str:
        ids = self.grid_ids()
        if not ids:
            raise GridNotFound(f"No grid recorded in {self.path}.")
        return ids[-1]

    def set_grid_status(self, grid_id: str, status: str) -> None:
        self._execute("UPDATE grids SET status = ? WHERE id = ?", (status, grid_id))

    def interrupt(self, grid_id: str) -> bool:
        """Record that the process running `grid_id` is gone (a crash, a restart): the
        grid is `interrupted` and its runs that were running are pending again, for a
        resume. False when the grid was not recorded as running."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                changed = self._db.execute(
                    "UPDATE grids SET status = 'interrupted' WHERE id = ? AND status = 'running'",
                    (grid_id,),
                ).rowcount
                if changed:
                    self._db.execute(
                        "UPDATE runs SET status = 'pending'"
                        " WHERE grid_id = ? AND status = 'running'",
                        (grid_id,),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return bool(changed)

    # -- runs ----------------------------------------------------------------

    @staticmethod
    def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
        data = dict(row)
        for key in ("overrides", "parameters", "metrics"):
            data[key] = json.loads(data[key]) if data[key] is not None else None
        data["index"] = data.pop("idx")
        return data

    def runs(self, grid_id: str, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM runs WHERE grid_id = ?"
        params: list[Any] = [grid_id]
        if statuses is not None:
            wanted = list(statuses)
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            params += wanted
        rows = self._execute(sql + " ORDER BY idx", params).fetchall()
        return [self._run_dict(row) for row in rows]

    def unfinished_runs(self, grid_id: str) -> list[dict[str, Any]]:
        return self.runs(grid_id, [s for s in RUN_STATUSES if s not in FINAL_STATUSES])

    def counts(self, grid_id: str) -> dict[str, int]:
        rows = self._execute(
            "SELECT status, COUNT(*) AS n FROM runs WHERE grid_id = ? GROUP BY status", (grid_id,)
        ).fetchall()
        counts = dict.fromkeys(RUN_STATUSES, 0)
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    def reset_failed(self, grid_id: str) -> int:
        marks = ",".join("?" * len(FAILED_STATUSES))
        cursor = self._execute(
            f"UPDATE runs SET status = 'pending', error = NULL WHERE grid_id = ? "
            f"AND status IN ({marks})",
            (grid_id, *FAILED_STATUSES),
        )
        return cursor.rowcount

    def mark_running(self, grid_id: str, index: int, *, started: float, worker: str) -> bool:
        marks = ",".join("?" * len(FINAL_STATUSES))
        cursor = self._execute(
            "UPDATE runs SET status = 'running', started = ?, worker = ?, attempts = attempts + 1"
            f" WHERE grid_id = ? AND idx = ? AND status NOT IN ({marks})",
            (started, worker, grid_id, index, *FINAL_STATUSES),
        )
        return cursor.rowcount == 1

    def finish_run(
        self,
        grid_id: str,
        index: int,
        *,
        status: str,
        started: float | None,
        ended: float | None,
        error: str | None,
        output: str | None,
        metrics: dict[str, Any] | None,
        worker: str | None,
        fingerprint: str | None,
    ) -> bool:
        """Record a final outcome; False (and nothing written) when one is recorded already."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final status: {status}")
        marks = ",".join("?" * len(FINAL_STATUSES))
        cursor = self._execute(
            "UPDATE runs SET status = ?, started = COALESCE(?, started), ended = ?, error = ?,"
            " output = ?, metrics = ?, worker = COALESCE(?, worker),"
            " fingerprint = COALESCE(?, fingerprint)"
            f" WHERE grid_id = ? AND idx = ? AND status NOT IN ({marks})",
            (
                status,
                started,
                ended,
                error,
                output,
                _dumps(metrics) if metrics is not None else None,
                worker,
                fingerprint,
                grid_id,
                index,
                *FINAL_STATUSES,
            ),
        )
        return cursor.rowcount == 1

    def mark_stopped(self, grid_id: str, indexes: Iterable[int]) -> None:
        """Runs interrupted by a cancel: `cancelled`, so resume runs them again."""
        marks = ",".join("?" * len(FINAL_STATUSES))
        for index in indexes:
            self._execute(
                "UPDATE runs SET status = 'cancelled' WHERE grid_id = ? AND idx = ?"
                f" AND status NOT IN ({marks})",
                (grid_id, index, *FINAL_STATUSES),
            )
