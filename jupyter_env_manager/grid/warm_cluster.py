"""One local Dask cluster kept between a server's grids, closed after an idle timeout.

Starting a LocalCluster, its client and the workers' kernel template costs seconds;
a server running grid after grid should pay it once. `WarmCluster.lease(n)` hands
out the kept cluster when it is idle and has `n` workers; when another grid holds
it (grids may run side by side) or the size differs, that grid gets a private
cluster as before, closed when it ends. Returning the lease starts the idle timer;
once it fires the kept cluster, its workers' spare kernels and kernel templates
are closed, so an idle server holds no processes.

Kernels stay one per run: a kept worker keeps only its template (a process that
has imported ipykernel and never ran user code) and forks a fresh kernel from it
for every run, exactly as in a private cluster.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from .worker import close_pool

log = logging.getLogger(__name__)

#: Seconds a kept cluster may stay unused before it is closed.
DEFAULT_IDLE_TIMEOUT = 300.0


#: No dashboard is served, so nobody reads the workers' statistical profiles (a
#: stack sample of every thread each 10 ms) or long debugging logs: both cost CPU and
#: memory per task, which a 1,000-point grid in a server's process adds up.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.low-level-log-length": 100,
    # Nor its HTTP routes (health checks, Prometheus metrics): importing them was a
    # tenth of a grid's start, for an HTTP server nobody is told about.
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
    # Host-wide disk counters every half second, and GIL contention sampled every
    # millisecond where gilknocker is installed: dashboard figures, in the grid's own
    # process.
    "distributed.admin.system-monitor.disk": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    # Every server's loop timed itself 50 times a second, and sampled this process's
    # CPU, memory and network twice a second, for dashboard figures. With the memory
    # monitor below, 5% of a 48-point near-empty grid's CPU. Once a second still
    # catches a stalled loop (its warning needs 3 s).
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
#: The scheduler serves HTTP even without a dashboard, by default on 8787 (or the
#: next free port): on a port the system picks instead, bound to loopback only.
_SCHEDULER_HTTP = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


async def start_local_cluster(n_workers: int, processes: bool) -> tuple[Any, Any]:
    """A grid's local cluster: one single-threaded worker per slot, no dashboard."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = await LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            # A worker only drives kernels, each a process of its own; its memory
            # monitor (10 times a second) measured this process for a limit meant for
            # Dask data, which a grid never holds.
            memory_limit=0,
            asynchronous=True,
            dashboard_address=None,
            scheduler_kwargs=_SCHEDULER_HTTP,
            silence_logs=logging.ERROR,
        )
    client = await Client(cluster, asynchronous=True)
    return client, cluster


async def close_cluster(client: Any, cluster: Any | None, *, pools: bool) -> None:
    """Close a client and its local cluster, if any; `pools`: first its workers' kept
    spares and templates."""
    if pools:
        try:
            await client.run(close_pool, None, on_error="return")
        except Exception as error:  # noqa: BLE001 - closing must finish regardless
            log.debug("closing kernel pools failed: %s", error)
    await client.close()
    if cluster is not None:
        await cluster.close()


@dataclass
class Lease:
    client: Any
    cluster: Any
    #: True for the kept cluster: the grid must leave it running.
    kept: bool


class WarmCluster:
    def __init__(self, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self.idle_timeout = idle_timeout
        self._client: Any = None
        self._cluster: Any = None
        self._size = 0
        self._processes = False
        self._busy = False
        self._timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._cluster is not None

    def _closing_pending(self) -> bool:
        return self._closing is not None and not self._closing.done()

    async def lease(self, n_workers: int, *, processes: bool = False) -> Lease:
        async with self._lock:
            if self._closing is not None:
                await asyncio.gather(self._closing, return_exceptions=True)
                self._closing = None
            if self._busy:
                client, cluster = await start_local_cluster(n_workers, processes)
                return Lease(client, cluster, kept=False)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._cluster is not None and (
                self._size != n_workers or self._processes != processes or not self._alive()
            ):
                await self._close_kept()
            if self._cluster is None:
                self._client, self._cluster = await start_local_cluster(n_workers, processes)
                self._size, self._processes = n_workers, processes
            self._busy = True
            return Lease(self._client, self._cluster, kept=True)

    def _alive(self) -> bool:
        status = getattr(self._client, "status", "running")
        return status == "running" and len(getattr(self._cluster, "workers", {})) > 0

    async def give_back(self, lease: Lease) -> None:
        if not lease.kept:
            # The grid already closed its pools (runner._shutdown).
            await close_cluster(lease.client, lease.cluster, pools=False)
            return
        self._busy = False
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.idle_timeout, self._idle)

    def _idle(self) -> None:
        self._timer = None
        if not self._busy and self._cluster is not None:
            self._closing = asyncio.ensure_future(self._close_kept())

    async def _close_kept(self) -> None:
        client, cluster = self._client, self._cluster
        if cluster is not None:
            # Closed while still listed as running, so "not running" means closed.
            await close_cluster(client, cluster, pools=True)
        self._client = self._cluster = None
        self._size = 0

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._closing is not None:
            await asyncio.gather(self._closing, return_exceptions=True)
            self._closing = None
        await self._close_kept()
