"""An environment made or removed by conda itself, while the server runs, is a kernel
(or stops being one) within 2 s, with no action in JupyterLab: the server's watcher
sees conda's envs dir change and the kernel spec listing follows."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import SERVER_APP_CONFIG
from tests.polling import eventually, watcher_has_looked
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


async def listed(jp_fetch, wanted) -> bool:
    """Whether /api/kernelspecs comes to satisfy `wanted` (the watcher, or the listing's
    own fingerprint check, makes it so in about a second)."""

    async def probe() -> bool:
        return wanted(await kernel_names(jp_fetch))

    return await eventually(probe)


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
    assert await watcher_has_looked(jp_serverapp)
    made = await asyncio.to_thread(
        real_conda.run, "create", "-y", "-q", "-n", "by-conda", "-c", kernel_channel,
        *CHANNEL_ARGS, "with-kernel",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert await listed(jp_fetch, lambda names: "conda-env-by-conda-py" in names)
    await asyncio.wait_for(kernels_event(socket), 60)  # the browser is told, not polling

    gone = await asyncio.to_thread(real_conda.run, "remove", "-y", "-q", "-n", "by-conda",
                                   "--all")  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    assert await listed(jp_fetch, lambda names: "conda-env-by-conda-py" not in names)
    await asyncio.wait_for(kernels_event(socket), 60)
    socket.close()
