"""An environment made or removed by conda itself, while the server runs, is a kernel
(or stops being one) within 2 s, with no action in JupyterLab: the server's watcher
sees conda's envs dir change and the kernel spec listing follows."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.conftest import SERVER_APP_CONFIG
from tests.rattler.channel_builder import PackageDef, build_channel

from .helpers import CHANNEL_ARGS

KERNEL_JSON = json.dumps({
    "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": "Python 3 (ipykernel)", "language": "python",
})  # fmt: skip


@pytest.fixture(scope="module")
def kernel_channel(tmp_path_factory) -> str:
    """A package shipping a kernelspec, as ipykernel's conda package does."""
    files = {"share/jupyter/kernels/python3/kernel.json": KERNEL_JSON}
    return build_channel(tmp_path_factory.mktemp("kernel-channel"),
                         [PackageDef("with-kernel", "1.0", files=files)])  # fmt: skip


@pytest.fixture
def jp_server_config(real_conda):
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvKernelSpecManager": {
            "root_prefix": str(real_conda.root),
            "envs_dirs": [str(real_conda.envs_dir)],
            "environments_txt": str(real_conda.home / ".conda" / "environments.txt"),
        },
        "EnvManagerApp": {"warm_search_index": False},
    }


async def kernel_names(jp_fetch) -> set[str]:
    response = await jp_fetch("api", "kernelspecs")
    return set(json.loads(response.body)["kernelspecs"])


async def eventually(jp_fetch, wanted) -> bool:
    """The server's one-second watcher, or the listing's own fingerprint check, makes this
    true in about a second; the bound only ends a hung test (no timing asserted)."""
    deadline = time.monotonic() + 60
    while True:
        if wanted(await kernel_names(jp_fetch)):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


ENV_EVENT = "https://events.jupyter.org/jupyter_env_manager/environments/v1"


async def kernels_event(socket) -> None:
    """Wait for the event that tells browsers to re-read kernel specs."""
    while True:
        message = json.loads(await socket.read_message())
        if message.get("schema_id") == ENV_EVENT and message.get("data", message).get(
            "change"
        ) == "kernels":
            return


async def test_conda_create_and_remove_show_in_kernelspecs(
    jp_fetch, jp_ws_fetch, jp_serverapp, real_conda, kernel_channel
):
    socket = await jp_ws_fetch("api", "events", "subscribe")
    await kernel_names(jp_fetch)  # the server is up
    # ... and its watcher has had the first look that later ones are compared with
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_env_manager"]
    assert await eventually(jp_fetch, lambda _names: app.watcher.has_looked)
    made = await asyncio.to_thread(
        real_conda.run, "create", "-y", "-q", "-n", "by-conda", "-c", kernel_channel,
        *CHANNEL_ARGS, "with-kernel",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert await eventually(jp_fetch, lambda names: "conda-env-by-conda-py" in names)
    await asyncio.wait_for(kernels_event(socket), 60)  # the browser is told, not polling

    gone = await asyncio.to_thread(real_conda.run, "remove", "-y", "-q", "-n", "by-conda",
                                   "--all")  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    assert await eventually(jp_fetch, lambda names: "conda-env-by-conda-py" not in names)
    await asyncio.wait_for(kernels_event(socket), 60)
    socket.close()
