"""Run operations as background tasks that report progress and can be cancelled.

Every progress event updates the task, is appended to its log and is pushed to
listeners (the server turns that into Jupyter Events). Pushes are throttled per
task: a solver can report hundreds of steps a second, and the browser only
needs a few frames.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.errors import EnvironmentBusy, EnvManagerError, TaskNotFound
from ..core.locks import Reservation
from ..core.models import ProgressCallback, ProgressEvent
from .store import ACTIVE_STATUSES, TaskRecord, TaskStore

Work = Callable[[ProgressCallback], Awaitable[Any]]
Listener = Callable[[dict[str, Any]], None]

PUSH_INTERVAL = 0.2
SAVE_INTERVAL = 1.0


class TaskRunner:
    def __init__(self, store: TaskStore, listener: Listener, log: logging.Logger | None = None):
        self.store = store
        self.listener = listener
        self.log = log or logging.getLogger(__name__)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._records: dict[str, TaskRecord] = {}

    # -- queries ------------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord:
        task = self._records.get(task_id) or self.store.get(task_id)
        if task is None:
            raise TaskNotFound(f"No task {task_id!r}.")
        return task

    def list(self, limit: int = 100) -> list[TaskRecord]:
        stored = self.store.list(limit)
        # Live records carry progress not yet written to the database.
        return [self._records.get(task.id, task) for task in stored]

    # -- lifecycle ----------------------------------------------------------

    def submit(
        self,
        operation: str,
        environment: str,
        work: Work,
        *,
        prefix: str | None = None,
        reservation: Reservation | None = None,
    ) -> TaskRecord:
        """Start `work` as a task; refuse at once if the environment already has one.

        Refusing here, before answering 202, is what turns a second create of the
        same name, or a change to an environment being removed, into a 409.
        `reservation`: the prefix locks the request took (EnvManager.reserve); the
        task holds them until it ends, and submit releases them if it refuses.
        """
        for other in self._records.values():
            if other.environment == environment:
                if reservation is not None:
                    reservation.release()
                raise EnvironmentBusy(
                    f"Environment {environment!r} is busy: {other.operation} is running "
                    f"(task {other.id})."
                )
        task = TaskRecord(
            id=uuid.uuid4().hex, operation=operation, environment=environment, prefix=prefix
        )
        self.store.insert(task)
        self._records[task.id] = task
        running = asyncio.ensure_future(self._run(task, work, reservation))
        if reservation is not None:
            # Also when cancelled before it ever ran (its finally never runs then).
            running.add_done_callback(lambda _done: reservation.release())
        self._running[task.id] = running
        self._push(task)
        return task

    def cancel(self, task_id: str) -> TaskRecord:
        task = self.get(task_id)
        running = self._running.get(task_id)
        if running is not None and not running.done():
            task.message = "Cancelling…"
            running.cancel()
            self._push(task)
        return task

    async def wait(self, task_id: str) -> TaskRecord:
        running = self._running.get(task_id)
        if running is not None:
            await asyncio.shield(running)
        return self.get(task_id)

    async def shutdown(self) -> None:
        for running in list(self._running.values()):
            running.cancel()
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    # -- running ------------------------------------------------------------

    async def _run(
        self, task: TaskRecord, work: Work, reservation: Reservation | None = None
    ) -> None:
        task.status = "running"
        self._save(task)
        self._push(task)
        last = {"push": 0.0, "save": time.monotonic()}

        def progress(event: ProgressEvent) -> None:
            stage_changed = event.stage != task.stage
            task.stage = event.stage
            task.message = event.message or event.package or task.message
            task.fraction = event.fraction
            line = f"{event.stage}: {event.message or event.package or ''}".rstrip(": ")
            task.log.append(line)
            now = time.monotonic()
            if stage_changed or now - last["push"] >= PUSH_INTERVAL:
                last["push"] = now
                self._push(task, log_line=line)
            if now - last["save"] >= SAVE_INTERVAL:
                last["save"] = now
                self._save(task)

        try:
            if reservation is None:
                result = await work(progress)
            else:
                with reservation.active():
                    result = await work(progress)
        except asyncio.CancelledError:
            task.status = "cancelled"
            task.message = "Cancelled"
        except EnvManagerError as error:
            task.status = "failed"
            task.error = error.to_json()
            task.message = error.message
        except Exception as error:  # a bug or an environment problem, not user input
            self.log.exception("Task %s (%s) failed", task.id, task.operation)
            task.status = "failed"
            task.error = {"error": "InternalError", "message": f"Unexpected error: {error}"}
            task.message = task.error["message"]
        else:
            task.status = "succeeded"
            task.result = result
            task.fraction = 1.0
        finally:
            task.finished = time.time()
            self._save(task)
            self._push(task, log_line=task.message if task.status != "succeeded" else None)
            self._running.pop(task.id, None)
            self._records.pop(task.id, None)
            if reservation is not None:
                reservation.release()

    def _save(self, task: TaskRecord) -> None:
        self.store.save(task)

    def _push(self, task: TaskRecord, log_line: str | None = None) -> None:
        try:
            self.listener(
                {
                    "task_id": task.id,
                    "operation": task.operation,
                    "environment": task.environment,
                    "status": task.status,
                    "stage": task.stage,
                    "message": task.message,
                    "fraction": task.fraction,
                    "log_line": log_line,
                }
            )
        except Exception:  # listeners must never break the operation
            self.log.exception("Task event listener failed")

    def is_active(self, task: TaskRecord) -> bool:
        return task.status in ACTIVE_STATUSES
