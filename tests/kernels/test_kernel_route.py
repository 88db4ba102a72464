"""The server serves environment kernels with no config of the user's: the extension
picks its own kernel spec manager when linked, or, when the user chose another,
keeps kernelspec files in sync; and it tells clients when environments change.

These servers are configured only with where to look for environments (so the test
never scans the machine's real ones), never with `kernel_spec_manager_class` unless
that is what the test is about."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager
from tests.conftest import SERVER_APP_CONFIG
from tests.polling import eventually, watcher_has_looked

from .fake_envs import fake_venv

ENV_EVENT = "https://events.jupyter.org/jupyter_env_manager/environments/v1"


def server_config(kernel_dirs, **server_app) -> dict:
    assert "kernel_spec_manager_class" not in SERVER_APP_CONFIG
    return {
        "ServerApp": {**SERVER_APP_CONFIG, **server_app},
        "EnvKernelSpecManager": kernel_dirs.spec_manager_config(),
        "EnvManagerApp": {"watch_interval": 0.2, "warm_search_index": False},
    }


async def kernelspecs(jp_fetch) -> dict:
    response = await jp_fetch("api", "kernelspecs")
    return json.loads(response.body)["kernelspecs"]


async def info(jp_fetch) -> dict:
    response = await jp_fetch("env-manager", "api", "info")
    return json.loads(response.body)


class TestOwnSpecManager:
    @pytest.fixture
    def jp_server_config(self, kernel_dirs):
        return server_config(kernel_dirs)

    async def test_the_extension_chose_its_manager_and_says_so(self, jp_fetch, jp_serverapp):
        assert isinstance(jp_serverapp.kernel_spec_manager, EnvKernelSpecManager)
        route = (await info(jp_fetch))["kernels"]
        assert route == {
            "spec_manager": "jupyter_env_manager.kernels.spec_manager.EnvKernelSpecManager",
            "env_kernels": "spec-manager",
            "message": None,
        }

    async def test_env_made_outside_is_a_kernel_and_an_event(
        self, jp_fetch, jp_ws_fetch, jp_serverapp, kernel_dirs
    ):
        socket = await jp_ws_fetch("api", "events", "subscribe")
        prefix = kernel_dirs.venvs / "route-live"
        try:
            assert await watcher_has_looked(jp_serverapp)
            fake_venv(prefix)
            changes: set[str] = set()

            async def both_changes() -> None:
                while not {"environments", "kernels"} <= changes:
                    message = json.loads(await socket.read_message())
                    if message.get("schema_id") == ENV_EVENT:
                        changes.add(message.get("data", message)["change"])

            # One read future at a time: cancelling a pending read loses its message.
            await asyncio.wait_for(both_changes(), 60)

            async def listed() -> bool:
                return "venv-route-live-py" in await kernelspecs(jp_fetch)

            assert await eventually(listed)
            shutil.rmtree(prefix)

            async def gone() -> bool:
                return "venv-route-live-py" not in await kernelspecs(jp_fetch)

            assert await eventually(gone)
        finally:
            socket.close()
            shutil.rmtree(prefix, ignore_errors=True)


class TestAnotherSpecManagerInCharge:
    @pytest.fixture
    def jp_server_config(self, kernel_dirs):
        return server_config(
            kernel_dirs, kernel_spec_manager_class="jupyter_client.kernelspec.KernelSpecManager"
        )

    async def test_kernelspec_files_follow_the_environments(
        self, jp_fetch, jp_serverapp, kernel_dirs
    ):
        assert type(jp_serverapp.kernel_spec_manager) is KernelSpecManager
        route = (await info(jp_fetch))["kernels"]
        assert route["env_kernels"] == "kernelspec-files"
        assert route["spec_manager"] == "jupyter_client.kernelspec.KernelSpecManager"
        assert "kernelspec files" in route["message"]

        prefix = kernel_dirs.venvs / "route-files"
        try:
            fake_venv(prefix)

            async def listed() -> bool:
                specs = await kernelspecs(jp_fetch)
                spec = specs.get("venv-route-files-py", {}).get("spec", {})
                return spec.get("argv", [None])[0] == str(prefix / "bin" / "python")

            assert await eventually(listed)
            # A real file any tool reads, with activation inside it (no provisioner).
            spec = (await kernelspecs(jp_fetch))["venv-route-files-py"]["spec"]
            assert spec["env"]["VIRTUAL_ENV"] == str(prefix)
            assert "kernel_provisioner" not in spec["metadata"]

            shutil.rmtree(prefix)

            async def gone() -> bool:
                return "venv-route-files-py" not in await kernelspecs(jp_fetch)

            assert await eventually(gone)
        finally:
            shutil.rmtree(prefix, ignore_errors=True)


class TestFilesSwitchedOff:
    @pytest.fixture
    def jp_server_config(self, kernel_dirs):
        config = server_config(
            kernel_dirs, kernel_spec_manager_class="jupyter_client.kernelspec.KernelSpecManager"
        )
        config["EnvManagerApp"]["write_kernelspecs"] = False
        return config

    async def test_info_says_environments_are_not_kernels_and_writes_nothing(
        self, jp_fetch, kernel_dirs
    ):
        route = (await info(jp_fetch))["kernels"]
        assert route["env_kernels"] == "none"
        assert "kernel register" in route["message"]
        prefix = kernel_dirs.venvs / "route-off"
        try:
            fake_venv(prefix)
            await asyncio.sleep(1)
            assert "venv-route-off-py" not in await kernelspecs(jp_fetch)
        finally:
            shutil.rmtree(prefix, ignore_errors=True)
