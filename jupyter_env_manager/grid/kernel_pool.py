"""Fresh kernels without waiting for them: start the next one while the current run works.

A kernel start costs most of a second, more than a short notebook. The pool keeps
spare kernels starting per (kernel name, working directory), as many as the runs
that draw from it at once (`reserve`): `acquire` hands the oldest spare over (or
starts a kernel when there is none) and at once begins a replacement, so starts
overlap runs. A kernel serves exactly one run and is then killed; no run ever sees
another run's state.

By default ipykernel kernels are forked from a template process that has already
imported ipykernel (`kernels/forking.py`): a start then costs a fraction of the CPU,
which is what bounds a grid of short runs on few cores. `fork=False` launches
each kernel as a new process.

Forked kernels listen on Unix sockets in a private folder (`kernel_sockets.py`).
Launched kernels use TCP, and parallel starts race for its ports (jupyter_client
picks free ports, then the kernel binds them; another process can take one in
between), so a failed start is retried with a fresh set of ports. A spare nobody
takes is killed after `idle_timeout`, so an idle worker does not hold kernels forever.

All methods run on one asyncio loop (the worker's execution loop).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zmq.asyncio
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager

from ..kernels.forking import PROVISIONER_NAME as FORKING_PROVISIONER
from ..kernels.forking import ForkingSpecManager, split_kernel_command
from ..kernels.templates import ForkedKernelProcess, close_templates
from .errors import KernelNotFound
from .handshake import WELCOME_WAIT, Greeting, adopt, handshake, welcomed
from .kernel_sockets import SocketFolder

log = logging.getLogger(__name__)

#: ZMQ reconnect interval and its back-off ceiling for the pool's sockets (ms).
_RECONNECT_MS = 5
_RECONNECT_MAX_MS = 200

#: (kernel name, working directory, fork from a template)
PoolKey = tuple[str, str, bool]


def _forks(km: AsyncKernelManager) -> bool:
    """The kernel's spec names the forking provisioner: an ipykernel, forked from a
    template (or launched by it where the template cannot fork)."""
    spec = km.kernel_spec
    provisioner = (spec.metadata.get("kernel_provisioner") or {}) if spec is not None else {}
    return provisioner.get("provisioner_name") == FORKING_PROVISIONER


def _launch_arguments(km: AsyncKernelManager) -> list[str]:
    """Launched ipykernels keep no IPython history on disk, as forked ones do (the
    template sees to those, see kernels/fork_template.py): a grid's runs are not the
    user's session."""
    spec = km.kernel_spec
    if spec is None or split_kernel_command(spec.argv) is None or _forks(km):
        return []
    return ["--HistoryManager.enabled=False"]


class KernelStartFailed(RuntimeError):
    """The kernel did not start after every attempt."""


@dataclass
class PooledKernel:
    km: AsyncKernelManager
    kc: Any
    kernel_name: str
    cwd: str
    started: float
    #: `sys.prefix` as the kernel reports it (Python kernels), for the fingerprint check.
    prefix: str | None = None
    pid: int | None = None
    #: The kernel's kernel_info reply (its language_info goes into the notebook).
    info: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


async def shell_reply(kc: Any, msg_id: str, timeout: float) -> dict[str, Any]:
    """The shell reply to `msg_id`, skipping replies to other requests; TimeoutError when
    none comes in `timeout` seconds (jupyter_client itself raises queue.Empty)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no reply from the kernel")
        try:
            reply = await kc.get_shell_msg(timeout=remaining)
        except queue.Empty:
            raise TimeoutError("no reply from the kernel") from None
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return reply  # type: ignore[no-any-return]


def _forked_process(km: AsyncKernelManager) -> ForkedKernelProcess | None:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return process if isinstance(process, ForkedKernelProcess) else None


def _kernel_pid(km: AsyncKernelManager) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)


_CHANNELS = (
    "_shell_channel",
    "_iopub_channel",
    "_stdin_channel",
    "_hb_channel",
    "_control_channel",
)


def stop_channels(kc: Any) -> None:
    """`kc.stop_channels()` without opening the channels that never started: its
    property lookups connect a socket for stdin, heartbeat and control only to close
    it again, half of a run's teardown in the coordinator."""
    if not all(hasattr(kc, name) for name in _CHANNELS):
        kc.stop_channels()  # a jupyter_client whose internals differ
        return
    for name in _CHANNELS:
        channel = getattr(kc, name)
        if channel is not None and channel.is_alive():
            channel.stop()
    if getattr(kc, "_created_context", False) and not kc.context.closed:
        kc.context.destroy(linger=100)


async def kill_kernel(kernel: PooledKernel) -> None:
    """Stop a kernel at once: a run is over, so a graceful shutdown only costs time.

    SIGKILL to the kernel's process group, as `shutdown_kernel(now=True)` ends, but
    without its interrupt first (a SIGINT the kernel would handle) or its 0.1 s
    polling for the exit: a killed process is gone within milliseconds."""
    try:
        stop_channels(kernel.kc)
    except Exception:  # noqa: BLE001 - the channels may already be gone with the kernel
        pass
    km = kernel.km
    try:
        provisioner = km.provisioner
        if provisioner is not None and km.has_kernel:
            await provisioner.kill()
            await _exited(km, _EXIT_TIMEOUT)
            await provisioner.wait()
        await km.cleanup_resources()
    except Exception as error:  # noqa: BLE001 - a dead kernel cannot be shut down twice
        log.debug("kernel shutdown: %s", error)


#: Seconds a SIGKILLed kernel may take to exit before its manager lets go of it.
_EXIT_TIMEOUT = 5.0


async def _exited(km: AsyncKernelManager, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.002
    while await km.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)


class KernelPool:
    def __init__(
        self,
        spec_manager_factory: Callable[[], KernelSpecManager],
        *,
        start_timeout: float = 60.0,
        start_attempts: int = 3,
        idle_timeout: float = 120.0,
        prefetch: bool = True,
    ) -> None:
        self._spec_manager_factory = spec_manager_factory
        self._ksm: KernelSpecManager | None = None
        self._forking_ksm: KernelSpecManager | None = None
        self._forked = False
        self.start_timeout = start_timeout
        self.start_attempts = start_attempts
        self.idle_timeout = idle_timeout
        self.prefetch = prefetch
        self._spares: dict[PoolKey, list[asyncio.Task[PooledKernel]]] = {}
        self._depth: dict[PoolKey, int] = {}
        #: Per key, per grid: kernels that grid will still draw (see `reserve`).
        self._budgets: dict[PoolKey, dict[str, int]] = {}
        self._idle_timers: dict[PoolKey, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.started_count = 0
        #: Per kernel template (its pid): the handshake of its first welcoming kernel,
        #: which the template's next kernels answer alike (see grid/handshake.py).
        self._greetings: dict[int, Greeting] = {}
        #: One ZMQ context for every kernel of the pool, as jupyter_server shares one:
        #: a kernel manager's own context starts an I/O thread per kernel, which cost
        #: CPU for every run and grew the process's memory over long grids.
        self._context: zmq.asyncio.Context | None = None
        #: The forked kernels' socket files (grid/kernel_sockets.py).
        self._sockets = SocketFolder()

    def spec_manager(self, fork: bool) -> KernelSpecManager:
        if self._ksm is None:
            self._ksm = self._spec_manager_factory()
        if not fork:
            return self._ksm
        if self._forking_ksm is None:
            self._forking_ksm = ForkingSpecManager(self._ksm)
        self._forked = True
        return self._forking_ksm

    def forget_spec_manager(self) -> None:
        """Build the spec manager anew for the next kernel (its configuration changed)."""
        self._ksm = None
        self._forking_ksm = None

    async def _start_once(self, kernel_name: str, cwd: str, fork: bool) -> PooledKernel:
        if self._context is None:
            self._context = zmq.asyncio.Context()
            # A client connects before the kernel has bound its ports; ZMQ then tries
            # again after RECONNECT_IVL, 100 ms by default, which was most of a forked
            # kernel's start. Backing off from 5 ms costs little when a kernel is gone.
            self._context.setsockopt(zmq.RECONNECT_IVL, _RECONNECT_MS)
            self._context.setsockopt(zmq.RECONNECT_IVL_MAX, _RECONNECT_MAX_MS)
        km = AsyncKernelManager(
            kernel_name=kernel_name,
            kernel_spec_manager=self.spec_manager(fork),
            context=self._context,
        )
        # Before anything reads the connection traits (their defaults follow transport).
        prefix = self._sockets.prefix() if _forks(km) else None
        if prefix is not None:
            km.transport = "ipc"
            km.ip = prefix
        started = time.monotonic()
        # The kernel's own stderr only carries startup warnings; run output goes over iopub.
        await km.start_kernel(
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            extra_arguments=_launch_arguments(km),
        )
        # The pool's context (a client's own would start an I/O thread per kernel and
        # ignore the reconnect settings); no heartbeat thread per kernel (liveness is
        # the process's, through the manager) and no stdin, as nbclient runs kernels:
        # `input()` fails at once instead of waiting for an answer nobody gives.
        kc = km.client(context=self._context)
        kc.allow_stdin = False
        kc.start_channels(stdin=False, hb=False)
        try:
            language = (km.kernel_spec.language if km.kernel_spec else "") or ""
            # A forked kernel's prefix is its template's: no need to ask the kernel
            # (which also spares it building its display formatters for the answer).
            forked = _forked_process(km)
            python = language.lower() == "python" and forked is None
            known = self._greetings.get(forked.template_pid) if forked is not None else None
            if known is not None and await welcomed(kc, km, WELCOME_WAIT):
                adopt(kc, known)
                greeting = known
            else:
                greeting = await handshake(kc, km, self.start_timeout, python=python)
                if forked is not None and greeting.welcomed:
                    self._greetings[forked.template_pid] = greeting
            kernel = PooledKernel(km=km, kc=kc, kernel_name=kernel_name, cwd=cwd, started=started)
            kernel.pid = _kernel_pid(km)
            kernel.prefix = greeting.prefix or (forked.prefix if forked is not None else None)
            kernel.info = greeting.info
        except BaseException:
            stop_channels(kc)
            await km.shutdown_kernel(now=True)
            raise
        self.started_count += 1
        return kernel

    async def start_kernel(self, kernel_name: str, cwd: str, fork: bool = True) -> PooledKernel:
        """A fresh kernel, retrying failed starts (port races, slow file systems)."""
        last: BaseException | None = None
        for attempt in range(1, self.start_attempts + 1):
            try:
                return await self._start_once(kernel_name, cwd, fork)
            except NoSuchKernel:
                raise KernelNotFound(f"No kernel named {kernel_name!r} on this worker.") from None
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any start failure is worth a retry
                last = error
                log.warning("kernel %s start attempt %d failed: %s", kernel_name, attempt, error)
                await asyncio.sleep(0.2 * attempt)
        raise KernelStartFailed(
            f"Kernel {kernel_name!r} did not start after {self.start_attempts} attempts: {last}"
        )

    def _spawn_spare(self, key: PoolKey) -> asyncio.Task[PooledKernel]:
        task = asyncio.ensure_future(self.start_kernel(*key))
        self._spares.setdefault(key, []).append(task)
        loop = asyncio.get_running_loop()
        old = self._idle_timers.pop(key, None)
        if old is not None:
            old.cancel()
        self._idle_timers[key] = loop.call_later(self.idle_timeout, self._drop_spares, key)
        return task

    def _drop_spares(self, key: PoolKey) -> None:
        self._idle_timers.pop(key, None)
        self._depth.pop(key, None)
        for task in self._spares.pop(key, []):
            self._dispose(task)

    def _dispose(self, task: asyncio.Task[PooledKernel]) -> None:
        async def dispose() -> None:
            try:
                kernel = await task
            except BaseException:  # noqa: BLE001 - a failed spare has nothing to stop
                return
            await kill_kernel(kernel)

        closing = asyncio.ensure_future(dispose())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    def reserve(
        self,
        kernel_name: str,
        cwd: str,
        depth: int = 1,
        *,
        fork: bool = True,
        grid: str | None = None,
        runs: int | None = None,
    ) -> list[asyncio.Task[PooledKernel]]:
        """Keep `depth` spares starting for this key (call on the pool's loop): one per
        run that draws from the pool at the same time. `runs`: how many kernels `grid`
        will still draw here; spares then never outnumber what the grids with such a
        count still need, so the last runs start no kernel nobody will use. Returns
        the starts it began."""
        key = (kernel_name, cwd, fork)
        if grid is not None and runs is not None:
            self._budgets.setdefault(key, {})[grid] = max(0, runs)
        self._depth[key] = max(depth, self._depth.get(key, 0))
        return self._top_up(key)

    def _top_up(self, key: PoolKey) -> list[asyncio.Task[PooledKernel]]:
        wanted = self._depth.get(key, 0)
        budgets = self._budgets.get(key)
        if budgets:
            wanted = min(wanted, sum(budgets.values()))
        started = []
        while len(self._spares.get(key, [])) < wanted:
            started.append(self._spawn_spare(key))
        return started

    def forget_grid(self, grid: str) -> None:
        """`grid` draws no more kernels (it ended or was cancelled)."""
        for key in list(self._budgets):
            self._budgets[key].pop(grid, None)
            if not self._budgets[key]:
                del self._budgets[key]

    async def acquire(
        self, kernel_name: str, cwd: str, *, fork: bool = True, grid: str | None = None
    ) -> PooledKernel:
        """A kernel no run has used; also starts a replacement spare for this key."""
        key = (kernel_name, cwd, fork)
        waiting = self._spares.get(key, [])
        spare = waiting.pop(0) if waiting else None
        budgets = self._budgets.get(key)
        if budgets and grid in budgets:
            budgets[grid] = max(0, budgets[grid] - 1)
        if self.prefetch:
            self._depth.setdefault(key, 1)
            self._top_up(key)
        if spare is not None:
            try:
                kernel = await spare
                if await kernel.km.is_alive():
                    return kernel
                await kill_kernel(kernel)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - fall back to a start of our own
                log.warning("spare kernel unusable, starting another: %s", error)
        return await self.start_kernel(kernel_name, cwd, fork)

    def release(self, kernel: PooledKernel) -> None:
        """Kill a used kernel in the background; the next run need not wait for it."""
        closing = asyncio.ensure_future(kill_kernel(kernel))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def close(self, *, keep_warm: bool = False) -> None:
        """Kill spares, wait for every pending kill, then end the kernel templates.
        `keep_warm` (a server's kept cluster between grids of one environment) only
        waits for the used kernels' kills: spares (kernels no run has touched) and
        templates stay for the next grid, spares until their idle timeout."""
        if not keep_warm:
            for key in list(self._spares):
                self._drop_spares(key)
            for timer in self._idle_timers.values():
                timer.cancel()
            self._idle_timers.clear()
        if self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)
        if not keep_warm and not self._spares:
            if self._context is not None:
                self._context.destroy(linger=0)
                self._context = None
            self._sockets.remove()
        if self._forked and not keep_warm:
            self._forked = False
            self._greetings.clear()  # a later template may get an earlier one's pid
            await asyncio.to_thread(close_templates)
