"""Linking solved records into prefixes with rattler, safely under cancellation.

rattler's install runs on its own threads and cannot be stopped from Python, so
an awaiting task may be cancelled while rattler keeps writing. Everything that
has to reckon with that lives here:

- New prefixes (create, clone, create_from_lock) are linked into a hidden sibling
  `.<name>.partial-<id>` with rattler patching the FINAL path into files, then
  renamed into place. A failure or cancellation therefore never leaves a
  half-made prefix at the requested path. rattler keeps linking in its own threads
  after the awaiting task is cancelled, so the staging folder is deleted only when
  that work has really stopped (`StagingCleanups.drain()` waits for it).
- In-place changes (install/update/uninstall) cannot be stopped halfway without
  breaking the environment: a cancelled transaction is allowed to finish, its
  history is written, then `CancelledError` is re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..models import ProgressCallback, ProgressEvent
from .rattler_channel_errors import install_error
from .rattler_progress import InstallReporter

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    import rattler
    from rattler import Subdir
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    rattler = None  # type: ignore[assignment]

# py-rattler finishes some work on its tokio threads (dropping Python objects) just
# after an awaited call returns; if the interpreter exits in that window it aborts
# ("PyGILState_Release ... finalizing", measured ~30% of short runs). Yielding this
# long after each operation closed the window in 60 of 60 runs.
_SETTLE_SECONDS = 0.02

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def settles(method: _F) -> _F:
    """Let rattler's background threads finish before an operation returns."""

    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        finally:
            await asyncio.sleep(_SETTLE_SECONDS)

    return wrapper  # type: ignore[return-value]


def start_install(
    records: Sequence[Any],
    target: Path,
    progress: ProgressCallback,
    *,
    packages_dir: Path,
    platform: str,
    installed: Sequence[Any] | None = None,
    final_prefix: Path | None = None,
) -> asyncio.Task[None]:
    """Start rattler linking `records` into `target` (on its own threads: a task to
    await or shield, never one that stops when cancelled)."""
    reporter = InstallReporter(asyncio.get_running_loop(), progress)
    return asyncio.ensure_future(
        rattler.install(
            list(records),
            target_prefix=target,
            cache_dir=packages_dir,
            installed_packages=list(installed) if installed is not None else None,
            platform=Subdir(platform),
            execute_link_scripts=False,
            show_progress=False,
            reporter=reporter,
            alternative_target_prefix=final_prefix,
        )
    )


class StagingCleanups:
    """Staging folders of cancelled creates, deleted once rattler's work on them stops."""

    def __init__(self) -> None:
        self._pending: set[asyncio.Future[Any]] = set()

    def remove_when_done(self, task: asyncio.Task[None], folder: Path) -> None:
        """Delete `folder` once rattler's (uncancellable) work on it has finished."""
        loop = asyncio.get_running_loop()

        async def cleanup() -> None:
            with contextlib.suppress(BaseException):
                await task
            # rattler's threads may still write a file or two after its task is done (see
            # _SETTLE_SECONDS); a delete racing them leaves a non-empty folder behind, so
            # look again, waiting a little longer each time.
            pause = _SETTLE_SECONDS
            for _attempt in range(8):
                await loop.run_in_executor(None, shutil.rmtree, folder, True)
                if not os.path.lexists(folder):
                    return
                await asyncio.sleep(pause)
                pause *= 2

        future = asyncio.ensure_future(cleanup())
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


async def link_new_prefix(
    prefix: Path,
    records: Sequence[Any],
    progress: ProgressCallback,
    *,
    packages_dir: Path,
    platform: str,
    cleanups: StagingCleanups,
    write_history: Callable[[Path], None],
) -> None:
    """Install `records` into a new prefix atomically (staging folder + rename).

    `write_history` gets the staging folder, so the history moves in with the rest.
    """
    prefix.parent.mkdir(parents=True, exist_ok=True)
    staging = prefix.parent / f".{prefix.name}.partial-{uuid.uuid4().hex[:8]}"
    task = start_install(
        records,
        staging,
        progress,
        packages_dir=packages_dir,
        platform=platform,
        final_prefix=prefix,
    )
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        cleanups.remove_when_done(task, staging)
        raise
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise install_error(exc, f"Installing into {prefix}") from None
    try:
        write_history(staging)
        if prefix.is_dir():
            prefix.rmdir()  # an empty folder was allowed; rename needs it gone
        os.rename(staging, prefix)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(ProgressEvent("link", f"Created {prefix}", 1.0))


async def change_prefix(
    prefix: Path,
    records: Sequence[Any],
    installed: Sequence[Any],
    progress: ProgressCallback,
    write_history: Callable[[], None],
    *,
    packages_dir: Path,
    platform: str,
) -> None:
    """Change an existing prefix in place; history is written even when cancelled."""
    task = start_install(
        records,
        prefix,
        progress,
        packages_dir=packages_dir,
        platform=platform,
        installed=installed,
    )
    cancelled = await finish_in_place(task, f"Changing {prefix}")
    write_history()
    if cancelled:
        raise asyncio.CancelledError


async def finish_in_place(task: asyncio.Task[None], what: str) -> bool:
    """Await rattler's work on an existing prefix to its end, through cancellation too:
    stopping it halfway would leave a mix of old and new files. True when the awaiting
    task was cancelled meanwhile (the caller re-raises once its bookkeeping is done)."""
    cancelled = False
    while True:
        try:
            await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done():
                break
            cancelled = True
        except Exception as exc:
            raise install_error(exc, what) from None
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise install_error(task.exception(), what)  # type: ignore[arg-type]
    return cancelled
