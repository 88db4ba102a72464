"""Run a conda transaction so that cancelling it never leaves an environment half-linked.

What conda does when stopped (conda 26.7.1, measured on a 20,000-file package):
- SIGKILL while it links leaves both versions' files and a record conda itself then
  refuses to read (`CorruptedEnvironmentError`);
- SIGINT/SIGTERM while it links a package rolls the transaction back, but only when
  the signal lands inside a package's link actions, the rollback takes as long as the
  link did, and a second signal or a SIGKILL during the rollback corrupts it again.
  `subprocess_runner.run_command` sends SIGTERM then SIGKILL after 3 s: not safe here.

So a cancel first freezes conda's process group (SIGSTOP), then reads everything
conda has logged so far. conda run with `-vv` logs `===> LINKING PACKAGE` /
`===> UNLINKING PACKAGE` *before* it touches the prefix. No such line yet: nothing
in the environment has changed, so the frozen group is killed and the environment
is exactly as before. Such a line seen: the group is resumed and conda runs to the
end, so the environment is exactly as after; the cancellation is raised then.

Output goes to files rather than pipes so that "everything logged so far" is
exact: a frozen process's completed writes are all in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..subprocess_runner import CommandResult, stop_process

#: What conda (with -vv) logs right before it unlinks or links the first package.
COMMIT_MARKERS = ("===> LINKING PACKAGE", "===> UNLINKING PACKAGE")
_POLL_SECONDS = 0.1

LineCallback = Callable[[str], None]
NoticeCallback = Callable[[str], None]


class _Follower:
    """Reads a growing log file, hands over complete lines, remembers the commit point."""

    def __init__(self, path: Path, on_line: LineCallback):
        self.path = path
        self.on_line = on_line
        self.offset = 0
        self.pending = b""
        self.committed = False

    def read_new(self) -> None:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for raw in lines:
            self._line(raw)

    def flush(self) -> None:
        self.read_new()
        if self.pending:
            self._line(self.pending)
            self.pending = b""

    def _line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        if any(marker in line for marker in COMMIT_MARKERS):
            self.committed = True
        self.on_line(line)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def run_transaction(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    on_stderr: LineCallback,
    on_notice: NoticeCallback,
    guard: bool,
    knows_commit_point: bool = True,
    on_start: Callable[[int], None] | None = None,
) -> CommandResult:
    """Run a conda command that may change a prefix; see the module docstring.

    `guard=False` (a prefix being created, which the manager deletes on cancel)
    stops the child at once like `run_command`. A tool that does not log the
    commit point (`knows_commit_point=False`: mamba, micromamba) is never
    interrupted once started. `on_notice` hears why a cancel waits. `on_start` gets
    the tool's process id as soon as it runs (the tool is not stopped if this process
    is killed: conda killed mid-link corrupts the prefix, see above).
    """
    args = [os.fspath(arg) for arg in argv]
    with tempfile.TemporaryDirectory(prefix="jem-conda-") as tmp:
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(env),
                start_new_session=sys.platform != "win32",
            )
        if on_start is not None:
            on_start(process.pid)
        follower = _Follower(err_path, on_stderr)
        exited = asyncio.ensure_future(process.wait())
        try:
            # asyncio.wait never cancels `exited` on a timeout, nor when we are cancelled.
            while not (await asyncio.wait({exited}, timeout=_POLL_SECONDS))[0]:
                follower.read_new()
        except BaseException:
            cleanup = asyncio.ensure_future(
                _cancel(process, follower, guard, knows_commit_point, on_notice)
            )
            try:
                await asyncio.shield(cleanup)
            except asyncio.CancelledError:
                # Cancelled again while conda finishes or dies: wait for that all the
                # same, or its log files would be deleted under it.
                await cleanup
            raise
        follower.flush()
        assert process.returncode is not None
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
        return CommandResult(process.returncode, stdout, stderr)


async def _cancel(
    process: asyncio.subprocess.Process,
    follower: _Follower,
    guard: bool,
    knows_commit_point: bool,
    on_notice: NoticeCallback,
) -> None:
    if process.returncode is not None:
        return
    if not guard:
        await stop_process(process)
        return
    if sys.platform == "win32" or not knows_commit_point:
        # No way to tell whether linking began: never interrupt a transaction.
        on_notice("Waiting for the tool to finish: stopping it could break the environment.")
        await process.wait()
        return
    _signal_group(process.pid, signal.SIGSTOP)
    follower.flush()
    if follower.committed:
        on_notice(
            "conda had started linking packages; letting it finish so the environment is "
            "not left half-changed."
        )
        _signal_group(process.pid, signal.SIGCONT)
        await process.wait()
        return
    # Nothing in the prefix has changed yet: a frozen process can be killed outright.
    _signal_group(process.pid, signal.SIGKILL)
    _signal_group(process.pid, signal.SIGCONT)
    await process.wait()
