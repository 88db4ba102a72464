"""Environment kernels through a running Jupyter server: list, start, run, interrupt,
restart, shut down; a conda prefix gets conda's activation; envs come and go live."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_env_manager.core.models import Environment
from jupyter_env_manager.kernels.add_kernel import add_kernel

from .conftest import KernelDirs, alive, find_env, make_venv
from .kernel_ws import collect, execute, send_execute, wait_busy

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")

PROBE = (
    "import os, sys, json, shutil, ipykernel\n"
    "print(json.dumps({'prefix': sys.prefix, 'pid': os.getpid(),"
    " 'ipykernel': ipykernel.__file__, 'which_python': shutil.which('python'),"
    " 'env': {k: os.environ.get(k) for k in ('VIRTUAL_ENV', 'CONDA_PREFIX',"
    " 'CONDA_DEFAULT_ENV', 'CONDA_SHLVL', 'ACTIVATOR_TEST_HOME', 'PATH')}}))\n"
)


async def kernelspecs(jp_fetch) -> dict:
    response = await jp_fetch("api", "kernelspecs")
    return json.loads(response.body)["kernelspecs"]


async def start_kernel(jp_fetch, name: str) -> str:
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": name}))
    return json.loads(response.body)["id"]


async def probe(ws) -> dict:
    run = await execute(ws, PROBE)
    assert run.reply["status"] == "ok", run.reply
    return json.loads(run.stdout)


async def test_venv_kernel_listed_runs_in_env_interrupts_restarts_and_shuts_down(
    jp_fetch, jp_ws_fetch, venv_env: Environment
):
    specs = await kernelspecs(jp_fetch)
    assert "python3" in specs  # the server's own kernel is still there
    spec = specs["venv-kvenv-py"]["spec"]
    assert (
        spec["display_name"] == f"Python {venv_env.python_version.rsplit('.', 1)[0]} [env: kvenv]"
    )
    assert spec["argv"][0] == str(venv_env.prefix / "bin" / "python")
    assert spec["metadata"]["jupyter_env_manager"]["env_prefix"] == str(venv_env.prefix)

    kernel_id = await start_kernel(jp_fetch, "venv-kvenv-py")
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    first = await probe(ws)
    assert first["prefix"] == str(venv_env.prefix)
    assert first["ipykernel"].startswith(str(venv_env.prefix))
    assert first["env"]["VIRTUAL_ENV"] == str(venv_env.prefix)
    assert first["env"]["PATH"].split(os.pathsep)[0] == str(venv_env.prefix / "bin")
    assert first["which_python"] == str(venv_env.prefix / "bin" / "python")

    # Interrupt a long computation.
    await execute(ws, "marker = 42")
    msg_id = await send_execute(ws, "import time; time.sleep(60)")
    await wait_busy(ws, msg_id)
    await jp_fetch("api", "kernels", kernel_id, "interrupt", method="POST", body="")
    interrupted = await collect(ws, msg_id, timeout=20)
    assert interrupted.reply["status"] == "error"
    assert interrupted.reply["ename"] == "KeyboardInterrupt"
    still = await execute(ws, "print(marker)")
    assert still.stdout.strip() == "42"  # interrupted, not restarted
    ws.close()

    # Restart: a new process, still inside the env, state gone.
    await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body="")
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    second = await probe(ws)
    assert second["pid"] != first["pid"]
    assert second["prefix"] == str(venv_env.prefix)
    assert second["env"]["VIRTUAL_ENV"] == str(venv_env.prefix)
    gone = await execute(ws, "print('marker' in globals())")
    assert gone.stdout.strip() == "False"
    ws.close()

    # Shutdown ends the process.
    response = await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert response.code == 204
    deadline = time.monotonic() + 10
    while alive(second["pid"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not alive(second["pid"])


async def test_conda_prefix_kernel_gets_conda_activation(
    jp_fetch, jp_ws_fetch, conda_env: Environment
):
    specs = await kernelspecs(jp_fetch)
    # nb_conda_kernels' name for a `python3` kernel of env `kconda`.
    assert "conda-env-kconda-py" in specs
    kernel_id = await start_kernel(jp_fetch, "conda-env-kconda-py")
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    seen = await probe(ws)
    ws.close()
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")

    prefix = str(conda_env.prefix)
    assert seen["prefix"] == prefix
    assert seen["ipykernel"].startswith(prefix)
    assert seen["env"]["CONDA_PREFIX"] == prefix
    assert seen["env"]["CONDA_DEFAULT_ENV"] == "kconda"
    assert seen["env"]["CONDA_SHLVL"] == "1"
    # Exported by the `activator` package's etc/conda/activate.d/activator.sh.
    assert seen["env"]["ACTIVATOR_TEST_HOME"] == f"{prefix}/share/activator"
    assert seen["env"]["PATH"].split(os.pathsep)[0] == f"{prefix}/bin"
    assert seen["env"]["VIRTUAL_ENV"] is None


async def test_new_env_appears_and_removed_env_disappears_without_restart(
    jp_fetch, kernel_dirs: KernelDirs
):
    prefix = kernel_dirs.venvs / "comes-and-goes"
    before = await kernelspecs(jp_fetch)
    assert "venv-comes-and-goes-py" not in before

    # An env without ipykernel has no kernel...
    make_venv(prefix, ipykernel=False)
    assert "venv-comes-and-goes-py" not in await kernelspecs(jp_fetch)
    # ..."Add kernel" installs ipykernel, and the next listing has it.
    env = await add_kernel(find_env(kernel_dirs, prefix))
    assert env.has_ipykernel
    after = await kernelspecs(jp_fetch)
    assert after["venv-comes-and-goes-py"]["spec"]["argv"][0] == str(prefix / "bin" / "python")
    response = await jp_fetch("api", "kernelspecs", "venv-comes-and-goes-py")
    assert json.loads(response.body)["name"] == "venv-comes-and-goes-py"

    shutil.rmtree(prefix)
    assert "venv-comes-and-goes-py" not in await kernelspecs(jp_fetch)
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("api", "kernelspecs", "venv-comes-and-goes-py")
    assert missing.value.code == 404
