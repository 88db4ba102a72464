"""What a user's browser does against the installed server: REST calls and a kernel's websocket."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
from typing import Any
from urllib.parse import quote

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.kernels.kernel_ws import execute

from .wheel_venv import LabServer

API = "env-manager/api"
# The watcher looks once a second, so a kernel shows (or goes) in about a second; this
# bound only stops a hung test. A deadline near the promise fails on a loaded machine
# (a clean-clone CI run did, at 2 s), and timing belongs in benchmarks, not in assertions.
KERNEL_LISTING_SECONDS = 60.0


class Api:
    def __init__(self, server: LabServer) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.headers.update(server.headers)

    def call(self, method: str, *parts: str, body: Any = None) -> tuple[int, Any]:
        url = "/".join([self.server.url, *(quote(p, safe="/?=&") for p in parts)])
        response = self.session.request(method, url, json=body, timeout=60)
        try:
            data = response.json()
        except ValueError:
            data = response.text
        return response.status_code, data

    def ok(self, method: str, *parts: str, body: Any = None, status: int = 200) -> Any:
        code, data = self.call(method, *parts, body=body)
        assert code == status, f"{method} {'/'.join(parts)} -> {code}: {data}"
        return data

    def task_done(self, task: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.ok("GET", API, "tasks", task["id"])
            if task["status"] not in ("queued", "running"):
                return task
            time.sleep(0.2)
        raise AssertionError(f"task {task['id']} still {task['status']} after {timeout} s")

    def succeeded(self, task: dict[str, Any]) -> dict[str, Any]:
        done = self.task_done(task)
        assert done["status"] == "succeeded", (done["error"], done["log"][-10:])
        return done

    def kernelspecs(self) -> dict[str, Any]:
        return self.ok("GET", "api", "kernelspecs")["kernelspecs"]

    def info(self) -> dict[str, Any]:
        return self.ok("GET", API, "info")


def create_over_rest(api: Api, name: str) -> dict:
    """What the New-environment dialog sends for engine uv with its ipykernel box ticked."""
    task = api.ok(
        "POST", API, "environments", body={"name": name, "engine": "uv", "pip": ["ipykernel"]},
        status=202,
    )  # fmt: skip
    return api.succeeded(task)["result"]


def remove_over_rest(api: Api, name: str) -> None:
    api.succeeded(api.ok("DELETE", API, "environments", name, status=202))


def kernels_of(specs: dict[str, Any], prefix: str) -> list[str]:
    """Names of the kernelspecs that launch inside the environment at `prefix`."""
    found = []
    for name, entry in specs.items():
        spec = entry["spec"]
        marker = (spec.get("metadata") or {}).get("jupyter_env_manager") or {}
        argv0 = (spec.get("argv") or [""])[0]
        if _same(marker.get("env_prefix"), prefix) or _under(argv0, prefix):
            found.append(name)
    return found


def _same(a: str | None, b: str) -> bool:
    return bool(a) and os.path.realpath(a) == os.path.realpath(b)


def _under(path: str, prefix: str) -> bool:
    if not os.path.isabs(path):
        return False
    return os.path.realpath(path).startswith(os.path.realpath(prefix) + os.sep)


def kernel_listed(api: Api, prefix: str) -> str:
    """The env's kernel name, once /api/kernelspecs lists it (at most KERNEL_LISTING_SECONDS)."""
    deadline = time.monotonic() + KERNEL_LISTING_SECONDS
    while True:
        specs = api.kernelspecs()
        names = kernels_of(specs, prefix)
        if names:
            return names[0]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no kernel of {prefix} in /api/kernelspecs {KERNEL_LISTING_SECONDS} s after "
                f"it was made; listed: {sorted(specs)}\nserver log:\n{api.server.log(3000)}"
            )
        time.sleep(0.1)


def kernel_unlisted(api: Api, prefix: str) -> None:
    deadline = time.monotonic() + KERNEL_LISTING_SECONDS
    while True:
        names = kernels_of(api.kernelspecs(), prefix)
        if not names:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{names} still in /api/kernelspecs {KERNEL_LISTING_SECONDS} s after "
                f"{prefix} was removed"
            )
        time.sleep(0.1)


def sys_prefix_of_kernel(api: Api, kernel_name: str) -> str:
    """Start a kernel of `kernel_name`, print its sys.prefix over the websocket, shut it down."""
    kernel = api.ok("POST", "api", "kernels", body={"name": kernel_name}, status=201)
    try:
        return asyncio.run(_print_prefix(api.server, kernel["id"])).strip()
    finally:
        api.call("DELETE", "api", "kernels", kernel["id"])


async def _print_prefix(server: LabServer, kernel_id: str) -> str:
    url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
    ws = await websocket_connect(HTTPRequest(url, headers=server.headers))
    try:
        done = await execute(ws, "import sys; print(sys.prefix)", timeout=120)
    finally:
        ws.close()
    assert done.reply.get("status") == "ok", done.reply
    return done.stdout


ENVIRONMENTS_EVENT = "https://events.jupyter.org/jupyter_env_manager/environments/v1"


class EventStream:
    """The server's Jupyter events as the frontend receives them (/api/events/subscribe),
    read in a thread so that a test can run the CLI meanwhile."""

    def __init__(self, server: LabServer) -> None:
        self.server = server
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._connected = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._read()), daemon=True)

    async def _read(self) -> None:
        self._loop = asyncio.get_running_loop()
        url = self.server.url.replace("http://", "ws://") + "/api/events/subscribe"
        self._ws = await websocket_connect(HTTPRequest(url, headers=self.server.headers))
        self._connected.set()
        while (raw := await self._ws.read_message()) is not None:
            self.events.put(json.loads(raw))

    def __enter__(self) -> EventStream:
        self._thread.start()
        assert self._connected.wait(30), "could not subscribe to /api/events/subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._ws is not None:
            self._loop.call_soon_threadsafe(self._ws.close)
        self._thread.join(10)

    def forget(self) -> None:
        """Drop what arrived so far: the next wait sees only later events."""
        while not self.events.empty():
            self.events.get_nowait()

    def next_change(self, change: str, within: float) -> dict[str, Any]:
        """The next environments/v1 event saying `change`, arriving within `within` s."""
        deadline = time.monotonic() + within
        seen = []
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            seen.append(event)
            data = event.get("data", event)
            if event.get("schema_id") == ENVIRONMENTS_EVENT and data.get("change") == change:
                return event
        raise AssertionError(f"no {change!r} change event within {within} s; saw {seen}")
