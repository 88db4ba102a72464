"""Task history in SQLite, so it survives server restarts.

One row per task. The log is kept as a JSON list capped at `MAX_LOG_LINES`:
a failing install can print thousands of lines and users need the last ones.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.sqlite_store import open_store

MAX_LOG_LINES = 500
_COLUMNS = (
    "id, operation, environment, prefix, status, stage, message, fraction, log, error, "
    "result, created, finished"
)
ACTIVE_STATUSES = ("queued", "running")

#: The schema's history, oldest first (see core/sqlite_store.py).
MIGRATIONS = [
    """
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    environment TEXT NOT NULL,
    prefix TEXT,
    status TEXT NOT NULL,
    stage TEXT,
    message TEXT,
    fraction REAL,
    log TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    result TEXT,
    created REAL NOT NULL,
    finished REAL
)
""",
]


@dataclass
class TaskRecord:
    id: str
    operation: str
    environment: str
    status: str = "queued"
    prefix: str | None = None
    stage: str | None = None
    message: str | None = None
    fraction: float | None = None
    log: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    result: Any = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("prefix")  # server-side detail; the environment name is what users see
        return data


class TaskStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = open_store(path, MIGRATIONS)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def insert(self, task: TaskRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tasks (id, operation, environment, prefix, status, log, created) "
                "VALUES (?, ?, ?, ?, ?, '[]', ?)",
                (
                    task.id,
                    task.operation,
                    task.environment,
                    task.prefix,
                    task.status,
                    task.created,
                ),
            )

    def save(self, task: TaskRecord) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE tasks SET status=?, stage=?, message=?, fraction=?, log=?, error=?, "
                "result=?, finished=?, prefix=? WHERE id=?",
                (
                    task.status,
                    task.stage,
                    task.message,
                    task.fraction,
                    json.dumps(task.log[-MAX_LOG_LINES:]),
                    json.dumps(task.error) if task.error is not None else None,
                    json.dumps(task.result) if task.result is not None else None,
                    task.finished,
                    task.prefix,
                    task.id,
                ),
            )

    def _row_to_task(self, row: tuple) -> TaskRecord:
        (tid, op, env, prefix, status, stage, message, fraction, log, error, result, created,
         finished) = row  # fmt: skip
        return TaskRecord(
            id=tid,
            operation=op,
            environment=env,
            prefix=prefix,
            status=status,
            stage=stage,
            message=message,
            fraction=fraction,
            log=json.loads(log),
            error=json.loads(error) if error else None,
            result=json.loads(result) if result else None,
            created=created,
            finished=finished,
        )

    def get(self, task_id: str) -> TaskRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE id=?",
                (task_id,),
            ).fetchone()
        return self._row_to_task(row) if row else None

    def list(self, limit: int = 100) -> list[TaskRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM tasks ORDER BY created DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [self._row_to_task(row) for row in rows]

    def interrupt_unfinished(self) -> list[TaskRecord]:
        """Mark tasks a previous server left running as interrupted; return them."""
        placeholders = ",".join("?" for _ in ACTIVE_STATUSES)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE status IN ({placeholders})",
                ACTIVE_STATUSES,
            ).fetchall()
        tasks = [self._row_to_task(row) for row in rows]
        for task in tasks:
            task.status = "interrupted"
            task.finished = time.time()
            task.error = {
                "error": "Interrupted",
                "message": "The server stopped while this operation was running.",
            }
            self.save(task)
        return tasks
