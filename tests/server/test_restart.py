"""A server killed with SIGKILL during a create, then started again.

Runs `jupyter server` as a real child process (the in-process test server
cannot be SIGKILLed), with config files in a private JUPYTER_CONFIG_DIR.
"""

from __future__ import annotations

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

import pytest

from tests.rattler.channel_builder import PackageDef, build_channel

TOKEN = "restart-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def slow_channel(tmp_path_factory) -> str:
    """One package with enough files that linking takes a while."""
    files = {f"share/bulk/d{i // 200}/f{i}.txt": f"file {i}\n" * 40 for i in range(6000)}
    return build_channel(
        tmp_path_factory.mktemp("slow-channel"), [PackageDef("bulk", "1.0", files=files)]
    )


class Server:
    def __init__(self, root: Path, channel: str):
        self.root = root
        self.port = _free_port()
        config = root / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "jupyter_server_config.json").write_text(
            json.dumps(
                {
                    "ServerApp": {"jpserver_extensions": {"jupyter_env_manager": True}},
                    "IdentityProvider": {"token": TOKEN},
                    "EnvManager": {
                        "default_engine": "rattler",
                        "channels": [channel],
                        "envs_dirs": [str(root / "envs")],
                        "venvs_dir": str(root / "venvs"),
                        "rattler_cache_dir": str(root / "cache"),
                        "locks_dir": str(root / "locks"),
                    },
                    "EnvManagerApp": {"tasks_db": str(root / "tasks.sqlite")},
                }
            )
        )
        self.env = {
            **os.environ,
            "HOME": str(root / "home"),
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(root / "data"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}",
             "--ip=127.0.0.1", "--allow-root", f"--ServerApp.root_dir={self.root}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.request("GET", "info")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("server did not start")

    def request(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/env-manager/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def kernelspecs(self) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/kernelspecs",
            headers={"Authorization": f"token {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def test_sigkill_during_create_then_restart(tmp_path, slow_channel):
    server = Server(tmp_path, slow_channel)
    server.start()
    try:
        task = server.request("POST", "environments", {"name": "doomed", "packages": ["bulk"]})
        deadline = time.monotonic() + 60
        while server.request("GET", f"tasks/{task['id']}")["stage"] not in ("link", "install"):
            assert time.monotonic() < deadline, "the create never reached linking"
            time.sleep(0.02)
        server.kill()

        leftovers = [p.name for p in (tmp_path / "envs").iterdir()]
        assert leftovers, "the kill came too late to leave anything half made"

        server.start()
        after = server.request("GET", f"tasks/{task['id']}")
        assert after["status"] == "interrupted"
        assert "stopped" in after["error"]["message"]
        assert server.request("GET", "environments") == []
        assert list((tmp_path / "envs").iterdir()) == []
        specs = json.dumps(server.kernelspecs())
        assert "doomed" not in specs
    finally:
        server.stop()
