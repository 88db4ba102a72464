"""One lock per environment prefix, taken by everything that reads or writes it: a
grid running in an environment keeps it from being changed or removed (409 naming
the grid), while other readers (an export) go on beside it."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import quote

import pytest

from tests.conftest import SERVER_APP_CONFIG
from tests.grid.conftest import write_notebook

from .conftest import KernelDirs

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")


@pytest.fixture
def jp_server_config(kernel_dirs: KernelDirs, tmp_path):
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvKernelSpecManager": kernel_dirs.spec_manager_config(),
        "EnvManager": {
            "envs_dirs": [str(kernel_dirs.conda_envs)],
            "venvs_dir": str(kernel_dirs.venvs),
            "locks_dir": str(tmp_path / "locks"),
            "offline": True,
        },
        "EnvManagerApp": {
            "tasks_db": str(tmp_path / "tasks.sqlite"),
            "warm_search_index": False,
        },
    }


async def call(jp_fetch, method: str, *parts: str, body=None, params=None):
    kwargs = {"method": method, "raise_error": False}
    if body is not None or method == "POST":
        kwargs["body"] = json.dumps(body or {})
    if params:
        kwargs["params"] = params
    response = await jp_fetch("env-manager", "api", *parts, **kwargs)
    text = response.body.decode()
    return response.code, (json.loads(text) if text.startswith(("{", "[")) else text)


async def test_a_running_grid_holds_its_environment(jp_fetch, jp_root_dir, venv_env):
    write_notebook(jp_root_dir / "slow.ipynb", "x = 0", "import time\ntime.sleep(4)\ny = x")
    code, grid = await call(
        jp_fetch, "POST", "grids",
        body={"notebook": "slow.ipynb", "grid": {"x": [1]}, "env": venv_env.name},
    )  # fmt: skip
    assert code == 202, grid

    async def until_running() -> None:
        while True:
            _, state = await call(jp_fetch, "GET", "grids", grid["grid_id"])
            if state["counts"]["running"] or not state["active"]:
                return
            await asyncio.sleep(0.1)

    await asyncio.wait_for(until_running(), 60)
    _, state = await call(jp_fetch, "GET", "grids", grid["grid_id"])
    assert state["active"], json.dumps(state)
    name = quote(venv_env.name, safe="")
    code, body = await call(
        jp_fetch, "POST", "environments", name, "packages",
        body={"action": "install", "pip": ["tiny-pkg"]},
    )  # fmt: skip
    assert code == 409, body
    assert f"grid search {grid['grid_id']}" in body["message"]
    code, body = await call(jp_fetch, "DELETE", "environments", name)
    assert code == 409 and "grid search" in body["message"], body
    # Reading beside the grid is fine.
    code, text = await call(jp_fetch, "GET", "environments", name, "export",
                            params={"format": "requirements"})  # fmt: skip
    assert code == 200 and "ipykernel" in text

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, state = await call(jp_fetch, "GET", "grids", grid["grid_id"])
        if not state["active"]:
            break
        await asyncio.sleep(0.2)
    assert state["state"] == "finished" and state["counts"]["ok"] == 1, state
    # Free again once the grid is over: the refusal came from the grid alone.
    code, body = await call(
        jp_fetch, "POST", "environments", name, "packages",
        body={"action": "remove", "packages": ["no-such-dist"], "dry_run": True},
    )  # fmt: skip
    assert code != 409, body
