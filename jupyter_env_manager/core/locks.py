"""One operation at a time per environment, across processes.

The server and a `jupyter env-manager` started in a terminal may touch the same
environment; an in-process asyncio lock would not see the other process, so
each environment gets an advisory `flock` on a file in a shared directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from .errors import EnvironmentBusy


def _lock_file_name(key: str) -> str:
    # Keys are prefixes (paths); hash them into a safe, fixed-length file name.
    return hashlib.sha256(key.encode()).hexdigest()[:32] + ".lock"


class EnvironmentLocks:
    def __init__(self, directory: Path):
        self.directory = directory

    @contextlib.asynccontextmanager
    async def hold(self, key: str, *, wait: bool, label: str | None = None) -> AsyncIterator[None]:
        """Hold the lock for `key`; when `wait` is False a busy lock raises EnvironmentBusy."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / _lock_file_name(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise EnvironmentBusy(
                        f"Environment {label or key!r} is busy with another operation; "
                        "try again when it has finished."
                    ) from None
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock
