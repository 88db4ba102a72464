"""Newcomer papercuts over REST against a real server (see conftest: rattler on a
local channel, uv on a local wheelhouse with tiny-pkg 1.2 and 1.3)."""

from __future__ import annotations

import functools
import os
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def _on_disk(envs_root: Path) -> list[str]:
    found = []
    for folder in ("envs", "venvs"):
        root = envs_root / folder
        if root.exists():
            found += sorted(p.name for p in root.iterdir())
    return found


# ------------------------------------------------------------ PyPI package arguments


async def test_uv_create_takes_packages_as_pypi_requirements(api, envs_root):
    body = {"name": "ml", "engine": "uv", "packages": ["tiny-pkg<1.3"]}
    task = await api.run("POST", "environments", body=body)
    assert task["status"] == "succeeded", task
    assert task["result"]["kind"] == "venv"
    code, packages = await api.call("GET", "environments", "ml", "packages")
    assert code == 200
    assert {(p["name"], p["version"], p["requested"]) for p in packages} == {
        ("tiny-pkg", "1.2", True)
    }


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [("tiny-pkg=1.2", "tiny-pkg==1.2.*"), ("conda-forge::tiny-pkg=1.2=py_0", "tiny-pkg==1.2")],
)
async def test_uv_create_refuses_conda_syntax_with_its_pypi_spelling(
    api, envs_root, spec, suggestion
):
    body = {"name": "ml", "engine": "uv", "packages": ["ipykernel", spec]}
    code, error = await api.call("POST", "environments", body=body)
    assert code == 400
    assert error["error"] == "InvalidRequest"
    assert error["message"].startswith(f"{spec!r} is conda syntax, not a PyPI requirement")
    assert error["message"].endswith(f"Write it as '{suggestion}'.")
    code, envs = await api.call("GET", "environments")
    assert envs == [] and _on_disk(envs_root) == []
    code, tasks = await api.call("GET", "tasks")
    assert tasks == []


async def test_install_into_a_venv_refuses_conda_pins_and_takes_pypi_ones(api):
    task = await api.run("POST", "environments", body={"name": "ml", "engine": "uv"})
    assert task["status"] == "succeeded", task

    body = {"action": "install", "packages": ["tiny-pkg=1.3"]}
    code, error = await api.call("POST", "environments", "ml", "packages", body=body)
    assert code == 400 and "'tiny-pkg==1.3.*'" in error["message"], error

    body = {"action": "install", "packages": ["tiny-pkg==1.3.*"], "dry_run": True}
    code, plan = await api.call("POST", "environments", "ml", "packages", body=body)
    assert code == 200, plan
    assert [(c["name"], c["action"], c["new_version"]) for c in plan["changes"]] == [
        ("tiny-pkg", "install", "1.3")
    ]
    code, packages = await api.call("GET", "environments", "ml", "packages")
    assert packages == []  # a preview changes nothing


# ------------------------------------------------------------ unreachable channels


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def empty_web_folder(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 with nothing to serve: every channel file is 404."""
    folder = tmp_path / "empty-site"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=os.fspath(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/chan"
    server.shutdown()
    server.server_close()


@pytest.fixture
def channel_that_drops_downloads(local_channel: str) -> Iterator[str]:
    """The test channel over HTTP: its index is served, every package download is cut."""
    folder = urllib.parse.urlparse(local_channel).path

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.endswith((".tar.bz2", ".conda")):
                self.close_connection = True
                return  # no answer at all: the client sees the connection closed
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def _conda_env(api) -> None:
    task = await api.run("POST", "environments", body={"name": "demo", "packages": ["alpha"]})
    assert task["status"] == "succeeded", task


async def test_preview_from_a_refusing_channel_is_502_with_one_line(api, refusing_port):
    await _conda_env(api)
    channel = f"http://127.0.0.1:{refusing_port}/chan"
    body = {"action": "install", "packages": ["beta"], "channels": [channel], "dry_run": True}
    code, error = await api.call("POST", "environments", "demo", "packages", body=body)
    assert code == 502
    assert error == {
        "error": "ChannelUnreachable",
        "message": f"Channel {channel} could not be reached: 127.0.0.1:{refusing_port} "
        "refused the connection (is the server running?).",
    }


async def test_preview_from_an_unresolvable_host_names_the_dns_failure(api):
    await _conda_env(api)
    channel = "https://no-such-host.invalid/x"  # RFC 6761: never resolves
    body = {"action": "install", "packages": ["beta"], "channels": [channel], "dry_run": True}
    code, error = await api.call("POST", "environments", "demo", "packages", body=body)
    assert code == 502 and error["error"] == "ChannelUnreachable"
    assert error["message"] == (
        f"Channel {channel} could not be reached: DNS lookup of no-such-host.invalid failed "
        "(no network, or a wrong host name?)."
    )


async def test_a_web_server_that_is_no_channel_is_422(api, empty_web_folder):
    await _conda_env(api)
    body = {"action": "install", "packages": ["beta"], "channels": [empty_web_folder]}
    code, error = await api.call(
        "POST", "environments", "demo", "packages", body={**body, "dry_run": True}
    )
    assert code == 422 and error["error"] == "ChannelNotFound"
    assert error["message"] == (
        f"Channel {empty_web_folder} has no noarch/repodata.json (HTTP 404): "
        "check the channel name or URL."
    )


async def test_create_from_an_unreachable_channel_fails_its_task_and_leaves_nothing(
    api, envs_root, refusing_port
):
    channel = f"http://127.0.0.1:{refusing_port}/chan"
    body = {"name": "demo", "packages": ["alpha"], "channels": [channel]}
    task = await api.run("POST", "environments", body=body)
    assert task["status"] == "failed"
    assert task["error"]["error"] == "ChannelUnreachable"
    assert "\n" not in task["error"]["message"]
    assert task["error"]["message"].startswith(f"Channel {channel} could not be reached")
    assert _on_disk(envs_root) == []


async def test_a_download_cut_off_mid_create_names_the_package_and_host_in_one_line(
    api, envs_root, channel_that_drops_downloads
):
    body = {"name": "demo", "packages": ["alpha"], "channels": [channel_that_drops_downloads]}
    task = await api.run("POST", "environments", body=body)
    assert task["status"] == "failed"
    error = task["error"]
    assert error["error"] == "ChannelUnreachable", error
    host = channel_that_drops_downloads.removeprefix("http://")
    assert re.fullmatch(
        rf"Installing into {re.escape(str(envs_root / 'envs' / 'demo'))} failed: "
        rf"alpha-[^ ]+\.tar\.bz2 could not be downloaded from "
        rf"{re.escape(channel_that_drops_downloads)}: {re.escape(host)} closed the connection\.",
        error["message"],
    ), error["message"]
    assert _on_disk(envs_root) == []  # no prefix, no staging folder


# ------------------------------------------------------------ names


@pytest.mark.parametrize("engine", [None, "uv"])
async def test_a_name_with_a_trailing_newline_is_refused(api, envs_root, engine):
    body = {"name": "victim\n", "packages": ["alpha" if engine is None else "tiny-pkg"]}
    if engine:
        body["engine"] = engine
    code, error = await api.call("POST", "environments", body=body)
    assert code == 400
    assert error["message"].startswith("Invalid environment name 'victim\\n'")
    code, tasks = await api.call("GET", "tasks")
    assert tasks == [] and _on_disk(envs_root) == []


async def test_a_clone_named_with_a_trailing_newline_is_refused(api, envs_root):
    await _conda_env(api)
    code, error = await api.call(
        "POST", "environments", "demo", "clone", body={"name": "demo-copy\n"}
    )
    assert code == 400 and "Invalid environment name" in error["message"]
    assert _on_disk(envs_root) == ["demo"]
