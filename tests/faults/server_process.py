"""A Jupyter server with the extension as its own process, to kill for real.

Started as a user starts it (`jupyter server`, a token, a root folder), with HOME,
the Jupyter dirs and the environment folders under one temporary folder, so a
restart of the same `ServerProcess` sees everything the killed one left.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.kernels.kernel_ws import execute

TOKEN = "fault-suite-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`config` (traits by section) is written as the user's jupyter_server_config.json;
    `environ` adds or replaces variables of the server's environment (e.g. a conda on
    PATH)."""

    def __init__(
        self, base: Path, config: dict | None = None, environ: dict[str, str] | None = None
    ):
        self.base = base
        self.root = base / "root"
        self.home = base / "home"
        for folder in (self.root, self.home / ".jupyter"):
            folder.mkdir(parents=True, exist_ok=True)
        if config:
            (self.home / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps(config))
        self.extra_environ = environ or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CONDA"))}
        env.update(self.extra_environ)
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.home / ".jupyter"),
            JUPYTER_DATA_DIR=str(self.home / ".local" / "share" / "jupyter"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
        )
        return env

    def kernelspecs(self) -> dict:
        code, body = self.call("GET", "api/kernelspecs")
        assert code == 200, body
        return body  # type: ignore[return-value]

    def start(self, *extra: str) -> None:
        self.port = free_port()
        argv = [
            sys.executable, "-m", "jupyter_server", "--no-browser",
            f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={self.root}",
            "--EnvManagerApp.warm_search_index=False", *extra,
        ]  # fmt: skip
        if os.getuid() == 0:
            argv.append("--allow-root")
        log = open(self.base / "server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            argv, env=self.environ(), stdout=log, stderr=subprocess.STDOUT, cwd=self.root
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {(self.base / 'server.log').read_text()}")
            try:
                self.call("GET", "api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError("server did not start in 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def kill_tree(self) -> list[int]:
        """SIGKILL the server and every process under it at once (a power cut, or the
        OOM killer taking the session): the processes killed besides the server."""
        import psutil

        assert self.process is not None
        server = psutil.Process(self.process.pid)
        children = server.children(recursive=True)
        for process in [server, *children]:
            process.send_signal(signal.SIGSTOP)  # none may react to another's death
        for process in [server, *children]:
            process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        return [child.pid for child in children]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def call(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = b""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, json.loads(text) if text else None

    def kernel_of(self, prefix: Path) -> str:
        """The name of the kernel /api/kernelspecs offers for the env at `prefix`."""
        for name, spec in self.kernelspecs()["kernelspecs"].items():
            marker = (spec["spec"].get("metadata") or {}).get("jupyter_env_manager") or {}
            if marker.get("env_prefix") == str(prefix):
                return name
        raise AssertionError(f"no kernel for {prefix} in /api/kernelspecs")

    def run_in_kernel(self, kernel_name: str, code: str) -> str:
        """Start a kernel through REST, run `code` over its websocket, shut it down;
        what it printed."""
        code_, kernel = self.call("POST", "api/kernels", {"name": kernel_name})
        assert code_ == 201, kernel
        try:
            return asyncio.run(self._execute(kernel["id"], code))  # type: ignore[index]
        finally:
            self.call("DELETE", f"api/kernels/{kernel['id']}")  # type: ignore[index]

    async def _execute(self, kernel_id: str, code: str) -> str:
        url = f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels"
        headers = {"Authorization": f"token {TOKEN}"}
        ws = await websocket_connect(HTTPRequest(url, headers=headers))
        try:
            done = await execute(ws, code, timeout=120)
        finally:
            ws.close()
        assert done.reply.get("status") == "ok", done.reply
        return done.stdout
