"""Kernel template processes (`fork_template.py`) and the registry of running ones.

A template is kept per (interpreter with its options, environment) and serves every
kernel of that key in this process until `close_templates()`. Starting one has two
halves: the spawn (a `Popen`, a few milliseconds) and the wait for its ready line
(its imports, about a quarter of a second). `spawn_template` does only the first, so
a caller that can guess a kernel's template early (the grid CLI, before its own
imports) lets it boot beside them; `template_for` finds it and waits for the rest.

This module imports no Jupyter library: the grid CLI spawns a template before it has
imported any.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_SOURCE = (Path(__file__).with_name("fork_template.py")).read_text(encoding="utf-8")
#: Seconds a template may take to import ipykernel before we give up on it.
READY_TIMEOUT = 60.0
_REPLY_TIMEOUT = 10.0


class TemplateUnavailable(RuntimeError):
    """The template cannot fork kernels (not started, died, or refused)."""


#: Called (from the asking thread) when a kernel start has its template process,
#: spawned then or earlier, before waiting for it to be ready; see `on_template_request`.
_request_listeners: list[Callable[[], None]] = []


def on_template_request(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` each time a start gets its template process (see `template_for`)
    until it is removed; returns its removal."""
    _request_listeners.append(listener)
    return lambda: _request_listeners.remove(listener)


class KernelTemplate:
    """One template process; `fork` and `poll` are thread-safe round trips."""

    def __init__(self, interpreter: list[str], env: dict[str, str]) -> None:
        self.interpreter = interpreter
        self._env = dict(env)
        self._lock = threading.Lock()
        self._buffer = b""
        self._process = subprocess.Popen(
            [*interpreter, "-c", _SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=os.path.expanduser("~") if os.path.isdir(os.path.expanduser("~")) else "/",
            start_new_session=True,
        )
        #: Set by `wait_ready`, with `pid`, `prefix` (`sys.prefix` of the template, and
        #: so of every kernel it forks) and the config files' stamps.
        self.ready = False
        self.pid: int | None = None
        self.prefix: str | None = None
        self._config_stamps: dict[str, int | None] = {}

    def wait_ready(self) -> None:
        """Return once the template has imported everything and can fork; raises
        TemplateUnavailable (having ended it) when it cannot. Callers hold the
        registry's lock, so only one thread reads the ready line."""
        if self.ready:
            return
        try:
            ready = self._read(READY_TIMEOUT)
        except TemplateUnavailable:
            self.close()
            raise
        if not ready.get("forkable"):
            self.close()
            raise TemplateUnavailable(ready.get("reason") or "the template did not start")
        self.pid = int(ready["pid"])
        self.prefix = str(ready.get("prefix") or "") or None
        self._config_stamps = dict(ready.get("config_stamps") or {})
        self.ready = True

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TemplateUnavailable("the template did not answer in time")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise TemplateUnavailable("the template exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            answer = json.loads(line)
        except ValueError:
            raise TemplateUnavailable(f"the template wrote {line[:200]!r}") from None
        if not isinstance(answer, dict):
            raise TemplateUnavailable(f"the template wrote {line[:200]!r}")
        return answer

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if not self.alive:
                raise TemplateUnavailable("the template exited")
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(request).encode() + b"\n")
                self._process.stdin.flush()
            except OSError as error:
                raise TemplateUnavailable(f"the template exited: {error}") from None
            answer = self._read(_REPLY_TIMEOUT)
        if "error" in answer:
            raise TemplateUnavailable(str(answer["error"]))
        return answer

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def config_changed(self) -> bool:
        """Whether a kernel config file it read, or looked for, changed or appeared."""
        for path, stamp in self._config_stamps.items():
            try:
                now: int | None = os.stat(path).st_mtime_ns
            except OSError:
                now = None
            if now != stamp:
                return True
        return False

    @property
    def current(self) -> bool:
        """Ready and running, with the kernel configuration it loaded still as it was."""
        return self.ready and self.alive and not self.config_changed()

    def fork(self, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        request: dict[str, Any] = {"op": "fork", "argv": argv, "cwd": cwd}
        # Kernels inherit the template's environment; rewriting it to the same values
        # copied about two hundred of the kernel's pages.
        if env != self._env:
            request["env"] = env
        answer = self._ask(request)
        return int(answer["pid"])

    def poll(self, pid: int) -> int | None:
        code = self._ask({"op": "poll", "pid": pid}).get("returncode")
        return None if code is None else int(code)

    def close(self) -> None:
        """End the template at once (it holds no state worth a graceful exit); its
        kernels notice their parent is gone and exit."""
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


class ForkedKernelProcess:
    """The `subprocess.Popen` surface LocalProvisioner uses, for a template's child.

    Liveness is checked with a pidfd where the OS has them (Linux 5.3+): the kernel
    is not our child, and asking its template costs a round trip through both
    processes, which jupyter_client's frequent `is_alive` checks made a real part of
    a short run. The template is asked only for the exit code, once the pidfd says
    the kernel has ended."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, template: KernelTemplate) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._killed = False
        self._template = template
        self.prefix = template.prefix
        self.template_pid = template.pid
        self._pidfd = _open_pidfd(pid)

    def _ended(self) -> bool:
        if self._pidfd is None:
            return True  # unknown: ask the template
        readable, _, _ = select.select([self._pidfd], [], [], 0)
        return bool(readable)

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def sent_kill(self) -> None:
        """A SIGKILL went to the kernel's process group: once it has ended, its exit
        code is taken to be the kill's, without asking the template. (A kernel that
        exited on its own just before is reported killed too; whoever kills a kernel
        has no use for its code, and the round trip stalled the owner's loop.)"""
        self._killed = True

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if not self._ended():
            return None
        if self._killed and self._pidfd is not None:
            self.returncode = -signal.SIGKILL
            self._close_pidfd()
            return self.returncode
        try:
            self.returncode = self._template.poll(self.pid)
        except TemplateUnavailable:
            # The template is gone, so the kernel is no longer its child: ask the OS.
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
        if self.returncode is not None:
            self._close_pidfd()
        return self.returncode

    def __del__(self) -> None:
        self._close_pidfd()

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None  # no pidfds here, or the kernel already ended and was reaped


_templates: dict[tuple[Any, ...], KernelTemplate] = {}
_retired: list[KernelTemplate] = []
_refused: dict[tuple[Any, ...], str] = {}
_templates_lock = threading.Lock()


def _template_key(interpreter: list[str], env: dict[str, str]) -> tuple[Any, ...]:
    return (tuple(interpreter), tuple(sorted(env.items())))


def running_template(interpreter: list[str], env: dict[str, str]) -> KernelTemplate | None:
    """The template for this interpreter and environment if one runs and is ready; None
    also while another thread holds the lock to start one (the caller is an event loop)."""
    if not _templates_lock.acquire(blocking=False):
        return None
    try:
        template = _templates.get(_template_key(interpreter, env))
    finally:
        _templates_lock.release()
    return template if template is not None and template.current else None


def spawn_template(interpreter: list[str], env: dict[str, str]) -> None:
    """Spawn the template for this interpreter and environment, unless one exists or
    was refused, without waiting for it: `template_for` waits. A spawn that fails is
    left for `template_for` to retry and report."""
    key = _template_key(interpreter, env)
    with _templates_lock:
        if key in _templates or key in _refused:
            return
        try:
            _templates[key] = KernelTemplate(interpreter, env)
        except OSError:
            pass


def template_for(interpreter: list[str], env: dict[str, str]) -> KernelTemplate:
    """The ready template for this interpreter and environment, spawned on first use."""
    key = _template_key(interpreter, env)
    with _templates_lock:
        if key in _refused:
            raise TemplateUnavailable(_refused[key])
        template = _templates.get(key)
        if template is not None and template.ready and not template.current:
            # Exited, or its kernels would start with a configuration since changed.
            # Ending it would end the kernels it forked (spares, other grids' runs):
            # it is ended with the others instead.
            _retired.append(template)
            template = None
        try:
            if template is None:
                template = _templates[key] = KernelTemplate(interpreter, env)
            for listener in list(_request_listeners):
                listener()
            template.wait_ready()
        except (TemplateUnavailable, OSError) as error:
            # The same interpreter would refuse again; stop paying for the attempt.
            _templates.pop(key, None)
            _refused[key] = str(error)
            raise TemplateUnavailable(str(error)) from None
        return template


def close_templates() -> None:
    with _templates_lock:
        templates = [*_templates.values(), *_retired]
        _templates.clear()
        _retired.clear()
        _refused.clear()
    for template in templates:
        template.close()
