"""Progress reporting for rattler installs, kept apart from the engine because it
is the one piece of it that runs on rattler's worker threads, not the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from ..models import ProgressCallback, ProgressEvent


class InstallReporter:
    """Turns rattler's installer callbacks into ProgressEvents on the event loop.

    rattler calls these from its own worker threads, so events are handed to the
    loop with `call_soon_threadsafe`; the user's callback always runs on the loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, progress: ProgressCallback) -> None:
        self._loop = loop
        self._progress = progress
        self._lock = threading.Lock()
        self._next = 0
        self._names: dict[int, str] = {}
        self._sent_fraction: dict[int, float] = {}
        self._total = 0
        self._done = 0

    def _token(self, name: str) -> int:
        with self._lock:
            self._next += 1
            self._names[self._next] = name
            return self._next

    def _emit(self, event: ProgressEvent) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody listens
            self._loop.call_soon_threadsafe(self._progress, event)

    def _overall(self) -> float | None:
        return self._done / self._total if self._total else None

    def on_transaction_start(self, total_operations: int) -> None:
        self._total = total_operations

    def on_populate_cache_start(self, operation: int, package_name: str) -> int:
        return self._token(package_name)

    def on_download_start(self, cache_entry: int) -> int:
        name = self._names.get(cache_entry, "")
        self._emit(ProgressEvent("download", f"Downloading {name}", 0.0, name or None))
        return self._token(name)

    def on_download_progress(self, download_idx: int, progress: int, total: int | None) -> None:
        if not total:
            return
        fraction = min(progress / total, 1.0)
        # Throttle: a big download reports thousands of chunks.
        if fraction - self._sent_fraction.get(download_idx, 0.0) < 0.1 and fraction < 1.0:
            return
        self._sent_fraction[download_idx] = fraction
        name = self._names.get(download_idx, "")
        self._emit(ProgressEvent("download", f"Downloading {name}", fraction, name or None))

    def on_download_completed(self, download_idx: int) -> None:
        name = self._names.get(download_idx, "")
        self._emit(ProgressEvent("download", f"Downloaded {name}", 1.0, name or None))

    def on_link_start(self, operation: int, package_name: str) -> int:
        self._emit(ProgressEvent("link", f"Linking {package_name}", self._overall(), package_name))
        return self._token(package_name)

    def on_link_complete(self, index: int) -> None:
        with self._lock:
            self._done += 1
        name = self._names.get(index, "")
        self._emit(ProgressEvent("link", f"Linked {name}", self._overall(), name or None))

    def on_unlink_start(self, operation: int, package_name: str) -> int:
        self._emit(ProgressEvent("unlink", f"Removing {package_name}", None, package_name))
        return self._token(package_name)

    def on_transaction_complete(self) -> None:
        self._emit(ProgressEvent("link", "Transaction complete", 1.0))
