"""A real server whose environment manager builds into the test's tmp folder,
from a local conda channel (rattler) and a local wheelhouse (uv)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import SERVER_APP_CONFIG


@pytest.fixture
def envs_root(tmp_path: Path) -> Path:
    return tmp_path / "managed"


@pytest.fixture
def jp_server_config(local_channel: str, wheelhouse: Path, envs_root: Path):
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvManager": {
            "default_engine": "rattler",
            "channels": [local_channel],
            "envs_dirs": [str(envs_root / "envs")],
            "venvs_dir": str(envs_root / "venvs"),
            "find_links": [str(wheelhouse)],
            "offline": True,
            "rattler_cache_dir": str(envs_root / "rattler-cache"),
            "locks_dir": str(envs_root / "locks"),
        },
        "EnvManagerApp": {"tasks_db": str(envs_root / "tasks.sqlite")},
    }


class Api:
    """Small helper over jp_fetch for the env-manager routes."""

    def __init__(self, fetch):
        self.fetch = fetch

    async def call(self, method: str, *parts: str, body=None, params=None, raw: bool = False):
        kwargs = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in {"POST", "PUT", "PATCH"}:
            kwargs["body"] = b""
        if params:
            kwargs["params"] = params
        response = await self.fetch("env-manager", "api", *parts, **kwargs)
        if raw:
            return response
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text else None)

    async def wait(self, task_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, task = await self.call("GET", "tasks", task_id)
            assert code == 200, task
            if task["status"] not in ("queued", "running"):
                return task
            await asyncio.sleep(0.05)
        raise AssertionError(f"task {task_id} did not finish")

    async def run(self, method: str, *parts: str, body=None) -> dict:
        code, task = await self.call(method, *parts, body=body)
        assert code == 202, task
        return await self.wait(task["id"])


def env_path(name: str) -> str:
    return quote(name, safe="")


@pytest.fixture
def api(jp_fetch) -> Api:
    return Api(jp_fetch)
