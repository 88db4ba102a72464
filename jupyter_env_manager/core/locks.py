"""One operation at a time per environment, across processes; and build markers.

The server and a `jupyter env-manager` started in a terminal may touch the same
environment; an in-process asyncio lock would not see the other process, so
each environment gets an advisory `flock` on a file in a shared directory.

While an environment is being built, a `.building` marker names its prefix.
A request that starts a task reserves its locks when it is accepted, in the same
step of the event loop that answers 202 (`reserve`), and the task keeps them till
it ends: a second request can then never slip in between "accepted" and "started",
and it gets the 409 at once instead of a task that fails later. Inside the task the
operation's own `hold()` of a reserved key is a no-op (`Reservation.active`).

Listings hide marked prefixes (a half-made environment must never be offered as
a kernel), and a marker whose lock nobody holds any more was left by a process
that died mid-build: `stale_builds()` finds those so they can be cleaned up.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import EnvironmentBusy

# key -> shared, for the locks the running task reserved (tasks copy the context).
_HELD: contextvars.ContextVar[dict[str, bool]] = contextvars.ContextVar("jem_held_locks")


def _held(key: str, shared: bool) -> bool:
    """True when this task already holds `key` in a mode that covers `shared`."""
    held = _HELD.get({})
    return key in held and (shared or not held[key])


@dataclass(frozen=True)
class LockRequest:
    key: str
    shared: bool = False
    label: str | None = None
    operation: str | None = None


class Reservation:
    """Locks taken for a task before it starts; released when it ends."""

    def __init__(self, held: dict[str, bool], fds: list[int]):
        self.keys = held
        self._fds = fds

    def release(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Within the block (the task's own context), `hold()` of a reserved key
        passes at once: the task already has it."""
        token = _HELD.set({**_HELD.get({}), **self.keys})
        try:
            yield
        finally:
            _HELD.reset(token)


def _key_hash(key: str) -> str:
    # Keys are prefixes (paths); hash them into a safe, fixed-length file name.
    # Imported here: listings import this module and rarely hash (OpenSSL's load is
    # a few ms of every `list`).
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:32]


#: Where `EnvManager.locks_dir` puts the lock files by default: in Jupyter's runtime dir.
LOCKS_SUBDIR = "env-manager-locks"


class EnvironmentLocks:
    def __init__(self, directory: Path):
        self.directory = directory

    def _lock_path(self, key: str) -> Path:
        return self.directory / f"{_key_hash(key)}.lock"

    def _marker_path(self, key: str) -> Path:
        return self.directory / f"{_key_hash(key)}.building"

    def _holder_path(self, key: str) -> Path:
        return self.directory / f"{_key_hash(key)}.holder"

    def holder(self, key: str) -> str | None:
        """What the last process to take `key`'s lock said it was doing."""
        try:
            return self._holder_path(key).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _busy(self, key: str, label: str | None) -> EnvironmentBusy:
        doing = self.holder(key)
        what = f": {doing} is running" if doing else " with another operation"
        return EnvironmentBusy(
            f"Environment {label or key!r} is busy{what}; try again when it has finished.",
            details={"holder": doing} if doing else None,
        )

    @contextlib.asynccontextmanager
    async def hold(
        self,
        key: str,
        *,
        wait: bool,
        label: str | None = None,
        operation: str | None = None,
        shared: bool = False,
    ) -> AsyncIterator[None]:
        """Hold the lock for `key`; when `wait` is False a busy lock raises EnvironmentBusy
        naming the operation that holds it.

        `shared` is for operations that only read the environment (the source of a
        clone, an export, a grid running in it): they may run side by side, never
        beside one that changes it.
        """
        if _held(key, shared):
            yield
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        fd = os.open(self._lock_path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise self._busy(key, label) from None
                # Imported here: listings use this module, and only waiting needs asyncio.
                import asyncio

                await asyncio.to_thread(fcntl.flock, fd, mode)
            if operation:
                self._holder_path(key).write_text(
                    f"{operation} (process {os.getpid()})", encoding="utf-8"
                )
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def holds(self, key: str) -> bool:
        """True when the running task reserved `key` (in either mode)."""
        return key in _HELD.get({})

    def check_free(self, key: str, *, label: str | None = None, shared: bool = False) -> None:
        """Raise EnvironmentBusy now if `hold(key, shared=shared)` would have to wait."""
        if _held(key, shared):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        fd = os.open(self._lock_path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self._busy(key, label) from None
        finally:
            os.close(fd)

    def reserve(self, *requests: LockRequest) -> Reservation:
        """Take every requested lock now, without waiting, or none: EnvironmentBusy
        names the operation holding the first one that is taken."""
        self.directory.mkdir(parents=True, exist_ok=True)
        held: dict[str, bool] = {}
        fds: list[int] = []
        try:
            for request in requests:
                mode = fcntl.LOCK_SH if request.shared else fcntl.LOCK_EX
                fd = os.open(self._lock_path(request.key), os.O_RDWR | os.O_CREAT, 0o600)
                fds.append(fd)
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise self._busy(request.key, request.label) from None
                held[request.key] = request.shared
            for request in requests:
                if request.operation:
                    self._holder_path(request.key).write_text(
                        f"{request.operation} (process {os.getpid()})", encoding="utf-8"
                    )
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return Reservation(held, fds)

    @contextlib.contextmanager
    def building(self, prefix: Path) -> Iterator[None]:
        """Mark `prefix` as under construction for as long as the block runs."""
        marker = self._marker_path(str(prefix))
        self.directory.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(prefix))
        try:
            yield
        finally:
            marker.unlink(missing_ok=True)

    def _markers(self) -> Iterator[tuple[Path, Path]]:
        # A scandir, not a glob: every listing and kernel scan asks, and the folder
        # also holds a lock file per environment ever changed.
        try:
            with os.scandir(self.directory) as entries:
                names = [e.name for e in entries if os.path.normcase(e.name).endswith(".building")]
        except OSError:
            return
        for name in names:
            marker = self.directory / name
            try:
                yield marker, Path(marker.read_text())
            except OSError:
                continue

    def building_prefixes(self) -> set[Path]:
        return {prefix for _marker, prefix in self._markers()}

    def stale_builds(self) -> list[tuple[Path, Path]]:
        """(marker, prefix) of builds whose process is gone (nobody holds their lock)."""
        stale = []
        for marker, prefix in self._markers():
            fd = os.open(self._lock_path(str(prefix)), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # still being built by a live process
            finally:
                os.close(fd)
            stale.append((marker, prefix))
        return stale
