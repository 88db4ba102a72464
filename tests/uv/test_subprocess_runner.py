"""The generic child-process runner: streaming, results, cancellation, timeouts.

Every test runs a real Python child process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from jupyter_env_manager.core.subprocess_runner import run_command

pytestmark = pytest.mark.asyncio


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_streams_lines_in_order_and_returns_code_and_output() -> None:
    code = (
        "import sys\n"
        "print('one', flush=True)\n"
        "print('warn', file=sys.stderr, flush=True)\n"
        "print('two')\n"
        "sys.exit(3)\n"
    )
    seen: list[tuple[str, str]] = []
    result = await run_command(
        [sys.executable, "-c", code], on_line=lambda s, line: seen.append((s, line))
    )
    returncode, stdout, stderr = result
    assert returncode == 3
    assert stdout == "one\ntwo"
    assert stderr == "warn"
    assert [line for stream, line in seen if stream == "stdout"] == ["one", "two"]
    assert ("stderr", "warn") in seen


async def test_arguments_are_not_interpreted_by_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"$(touch {marker}); echo hi > {marker}"
    result = await run_command([sys.executable, "-c", "import sys; print(sys.argv[1])", hostile])
    assert result.stdout == hostile
    assert not marker.exists()


async def test_very_long_lines_survive() -> None:
    result = await run_command([sys.executable, "-c", "print('x' * 200_000)"])
    assert result.returncode == 0
    assert result.stdout == "x" * 200_000


async def test_missing_program_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await run_command([str(tmp_path / "no-such-tool"), "--version"])


async def test_cancellation_kills_the_child_and_its_children() -> None:
    # The child starts a grandchild and waits; both must be gone after cancel.
    code = (
        "import subprocess, sys, time\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "print(f'pids {g.pid}', flush=True)\n"
        "time.sleep(120)\n"
    )
    pids: list[int] = []
    ready = asyncio.Event()

    def on_line(stream: str, line: str) -> None:
        if line.startswith("pids "):
            pids.append(int(line.split()[1]))
            ready.set()

    task = asyncio.create_task(run_command([sys.executable, "-c", code], on_line=on_line))
    await asyncio.wait_for(ready.wait(), timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _wait_gone(pids[0]), "grandchild survived cancellation"


async def test_child_ignoring_sigterm_is_killed_after_grace() -> None:
    code = (
        "import os, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print(os.getpid(), flush=True)\n"
        "time.sleep(120)\n"
    )
    pids: list[int] = []
    ready = asyncio.Event()

    def on_line(stream: str, line: str) -> None:
        pids.append(int(line))
        ready.set()

    task = asyncio.create_task(
        run_command([sys.executable, "-c", code], on_line=on_line, terminate_grace=0.5)
    )
    await asyncio.wait_for(ready.wait(), timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(pids[0])


async def test_timeout_stops_the_child_and_raises() -> None:
    code = "import os, time; print(os.getpid(), flush=True); time.sleep(120)"
    pids: list[int] = []
    with pytest.raises(TimeoutError):
        await run_command(
            [sys.executable, "-c", code],
            on_line=lambda s, line: pids.append(int(line)),
            timeout=1.0,
        )
    assert pids and not _alive(pids[0])


async def test_environment_and_working_directory_are_passed(tmp_path: Path) -> None:
    code = "import os; print(os.environ['JEM_TEST_VALUE']); print(os.getcwd())"
    result = await run_command(
        [sys.executable, "-c", code],
        env={**os.environ, "JEM_TEST_VALUE": "hello"},
        cwd=tmp_path,
    )
    assert result.stdout.splitlines() == ["hello", str(tmp_path)]
