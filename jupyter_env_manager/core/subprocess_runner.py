"""Run a command as a child process, stream its output, and never leave it behind.

Every engine that drives a command-line tool (uv, pip, conda, mamba) goes
through `run_command`: the argument list is passed straight to the OS (no
shell), each output line reaches a callback as soon as it is printed (for
progress and logs), and cancelling the awaiting task stops the child *and*
everything it started. Tools like conda and pip spawn helpers of their own, so
the child gets its own process group and the whole group is signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

StreamName = Literal["stdout", "stderr"]
#: Called with the stream a line came from and the line without its newline.
LineCallback = Callable[[StreamName, str], None]

_CHUNK = 64 * 1024
# Seconds a child gets to exit after SIGTERM before it is killed.
DEFAULT_TERMINATE_GRACE = 3.0


class CommandResult(NamedTuple):
    """What a finished command left: unpacks as `(returncode, stdout, stderr)`."""

    returncode: int
    stdout: str
    stderr: str


def _linux_prctl():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Loaded here, not in the child: between fork and exec only the call may run.
_PRCTL = _linux_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A tool whose process is killed (SIGKILL, the OOM killer) stops with it rather
    # than go on changing an environment behind the next server's back: that
    # server undoes the unfinished change from its journal (install_journal.py).
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _ignore_line(stream: StreamName, line: str) -> None:
    """Default line callback."""


async def _pump(
    reader: asyncio.StreamReader | None,
    stream: StreamName,
    sink: list[str],
    on_line: LineCallback,
) -> None:
    """Split a stream into lines by hand: `readline()` fails on lines over 64 KiB."""
    if reader is None:
        return
    pending = b""
    while True:
        chunk = await reader.read(_CHUNK)
        if not chunk:
            break
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            sink.append(line)
            on_line(stream, line)
    if pending:
        line = pending.decode("utf-8", errors="replace").rstrip("\r")
        sink.append(line)
        on_line(stream, line)


def _signal_group(process: asyncio.subprocess.Process, sig: int) -> None:
    """Signal the child's whole process group (POSIX), or the child alone (Windows)."""
    if process.returncode is not None:
        return
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, sig)
        elif sig == signal.SIGTERM:
            process.terminate()
        else:
            process.kill()
    except ProcessLookupError:
        pass


async def stop_process(
    process: asyncio.subprocess.Process, grace: float = DEFAULT_TERMINATE_GRACE
) -> None:
    """Terminate the child's process group, then kill it if it outlives `grace` seconds."""
    _signal_group(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=grace)
    except asyncio.TimeoutError:
        _signal_group(process, signal.SIGKILL if sys.platform != "win32" else signal.SIGTERM)
        await process.wait()


async def run_command(
    argv: Sequence[str | os.PathLike[str]],
    *,
    on_line: LineCallback = _ignore_line,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    terminate_grace: float = DEFAULT_TERMINATE_GRACE,
) -> CommandResult:
    """Run `argv` to completion and return its exit code and decoded output.

    - `argv` is an argument list; it is never given to a shell.
    - `on_line(stream, line)` is called for every line of stdout and stderr while
      the command runs; the same lines are returned joined in the result.
    - `env` replaces the environment when given (pass `{**os.environ, ...}` to extend).
    - On cancellation of the awaiting task the child's process group gets
      SIGTERM, then SIGKILL after `terminate_grace` seconds, and `CancelledError`
      is re-raised once the child is reaped.
    - After `timeout` seconds the child is stopped the same way and
      `TimeoutError` is raised.

    Raises `FileNotFoundError`/`PermissionError` when the program cannot be started.
    """
    args = [os.fspath(arg) for arg in argv]
    if not args:
        raise ValueError("run_command needs at least the program to run")
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=os.fspath(cwd) if cwd is not None else None,
        # A new session makes the child a process-group leader, so the whole tree
        # it spawns can be signalled at once; it also detaches it from our terminal.
        start_new_session=sys.platform != "win32",
        preexec_fn=_die_with_parent if _PRCTL is not None else None,
    )
    out: list[str] = []
    err: list[str] = []
    pumps = asyncio.gather(
        _pump(process.stdout, "stdout", out, on_line),
        _pump(process.stderr, "stderr", err, on_line),
    )
    try:
        await asyncio.wait_for(_finish(process, pumps), timeout=timeout)
    except asyncio.TimeoutError:
        await _abandon(process, pumps, terminate_grace)
        raise TimeoutError(f"{Path(args[0]).name} did not finish within {timeout} s") from None
    except BaseException:
        # Cancellation (or an exception in the line callback): never leave the
        # child running behind us.
        await _abandon(process, pumps, terminate_grace)
        raise
    assert process.returncode is not None
    return CommandResult(process.returncode, "\n".join(out), "\n".join(err))


async def _finish(process: asyncio.subprocess.Process, pumps: asyncio.Future[object]) -> None:
    await pumps
    await process.wait()


async def _abandon(
    process: asyncio.subprocess.Process, pumps: asyncio.Future[object], grace: float
) -> None:
    """Stop the child and its output readers; shielded so a second cancel cannot skip it."""
    cleanup = asyncio.ensure_future(stop_process(process, grace))
    try:
        await asyncio.shield(cleanup)
    except asyncio.CancelledError:
        # Cancelled again while cleaning up: finish the cleanup anyway, then go.
        await cleanup
        raise
    finally:
        pumps.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pumps
