"""The manager's guarantees, with real rattler and uv engines underneath."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import yaml
from jupyter_client.kernelspec import KernelSpecManager

from jupyter_env_manager.core.errors import (
    EngineUnavailable,
    EnvironmentBusy,
    EnvironmentExists,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
    ProtectedEnvironment,
)
from jupyter_env_manager.core.manager import EnvManager
from jupyter_env_manager.core.models import EnvSpec
from jupyter_env_manager.kernels import registration
from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager
from tests.kernels.fake_envs import PYTHON_SPEC, write_kernel


def names(manager: EnvManager) -> list[str]:
    return [env.name for env in manager.list()]


def environments_txt(home: Path) -> list[str]:
    path = home / ".conda" / "environments.txt"
    return path.read_text().split() if path.exists() else []


async def test_create_conda_env_is_listed_registered_and_marked(manager, home, tmp_path):
    env = await manager.create("analysis", EnvSpec(conda=["beta"]))

    assert env.prefix == tmp_path / "envs" / "analysis"
    assert env.kind == "conda"
    assert env.engine == "rattler"
    assert names(manager) == ["analysis"]
    assert str(env.prefix) in environments_txt(home)
    installed = {p.name: p.version for p in await manager.packages("analysis")}
    assert installed["beta"] and installed["alpha"].startswith("1.")


async def test_existing_and_invalid_names_change_nothing(manager, tmp_path):
    await manager.create("taken", EnvSpec(conda=["gamma"]))
    before = sorted(p.name for p in (tmp_path / "envs").iterdir())

    with pytest.raises(EnvironmentExists):
        await manager.create("taken", EnvSpec(conda=["alpha"]))
    for bad in ["", "../escape", "a/b", "x;rm -rf", "ä", "base", "a" * 65, ".hidden"]:
        with pytest.raises(InvalidRequest):
            await manager.create(bad, EnvSpec(conda=["alpha"]))

    assert sorted(p.name for p in (tmp_path / "envs").iterdir()) == before
    assert not (tmp_path / "escape").exists()


async def test_failed_create_leaves_no_prefix_and_no_registration(manager, home, tmp_path):
    with pytest.raises(PackagesNotFound) as failure:
        await manager.create("broken", EnvSpec(conda=["alpha", "no-such-package"]))
    assert "no-such-package" in failure.value.message
    assert not (tmp_path / "envs" / "broken").exists()
    assert names(manager) == []
    assert environments_txt(home) == []


async def test_cancelled_create_leaves_nothing(manager, tmp_path):
    stages: list[str] = []

    def cancel_once_linking(event):
        stages.append(event.stage)
        if event.stage in {"download", "link"} and not task.cancelled():
            task.cancel()

    task = asyncio.ensure_future(
        manager.create("cancelled", EnvSpec(conda=["beta", "delta"]), progress=cancel_once_linking)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert {"download", "link"} & set(stages), stages
    await manager.engine("rattler").drain()  # rattler deletes its staging folder last
    envs = tmp_path / "envs"
    assert not envs.exists() or list(envs.iterdir()) == []
    assert names(manager) == []


async def test_remove_unregisters_and_protects_base_and_server_env(manager, home):
    env = await manager.create("short-lived", EnvSpec(conda=["alpha"]))
    await manager.remove("short-lived")
    assert not env.prefix.exists()
    assert str(env.prefix) not in environments_txt(home)

    with pytest.raises(EnvironmentNotFound):
        await manager.remove("short-lived")
    with pytest.raises(ProtectedEnvironment):
        await manager.remove(sys.prefix)
    assert Path(sys.prefix, "pyvenv.cfg").exists() or Path(sys.prefix, "conda-meta").exists()


async def test_remove_takes_the_kernelspecs_written_for_the_env_along(
    manager, tmp_path, monkeypatch
):
    """After "Add kernel", a removed env must not stay in the Launcher as a dead kernel."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    doomed = await manager.create("doomed", EnvSpec(conda=["alpha"]))
    kept = await manager.create("kept", EnvSpec(conda=["alpha"]))
    for env in (doomed, kept):
        write_kernel(env.prefix, "python3", PYTHON_SPEC)  # what ipykernel installs
    ksm = EnvKernelSpecManager(
        envs_dirs=[str(tmp_path / "envs")],
        venvs_dir=str(tmp_path / "venvs"),
        environments_txt=str(tmp_path / "home" / ".conda" / "environments.txt"),
        root_prefix="",
    )
    for env in (doomed, kept):
        registration.register(ksm.kernels_for(env), user=True)
    kernels = tmp_path / "jupyter-data" / "kernels"
    assert sorted(p.name for p in kernels.iterdir()) == ["conda-env-doomed-py", "conda-env-kept-py"]

    await manager.remove("doomed")
    assert sorted(p.name for p in kernels.iterdir()) == ["conda-env-kept-py"]
    found = KernelSpecManager(kernel_dirs=[str(kernels)]).find_kernel_specs()
    assert "conda-env-kept-py" in found and "conda-env-doomed-py" not in found


async def test_second_operation_on_a_busy_env_is_refused(manager):
    await manager.create("busy", EnvSpec(conda=["alpha"]))
    env = manager.get("busy")
    async with manager.locks.hold(str(env.prefix), wait=False):
        with pytest.raises(EnvironmentBusy):
            await manager.install("busy", ["gamma"])
        with pytest.raises(EnvironmentBusy):
            await manager.remove("busy")
    plan = await manager.install("busy", ["gamma"])
    assert [c.name for c in plan.changes] == ["gamma"]


async def test_operations_on_different_envs_run_in_parallel(manager):
    first, second = await asyncio.gather(
        manager.create("one", EnvSpec(conda=["alpha"])),
        manager.create("two", EnvSpec(conda=["gamma"])),
    )
    assert {first.name, second.name} == {"one", "two"}


async def test_unknown_engine_is_refused(manager):
    with pytest.raises(EngineUnavailable):
        await manager.create("x", EnvSpec(), engine="pixi")
    with pytest.raises(EngineUnavailable):
        await manager.create("x", EnvSpec(), engine="conda")  # not installed here


async def test_export_yml_round_trips_through_create_from_file(manager):
    await manager.create("source", EnvSpec(conda=["beta", "gamma=1.5"]))
    exported = await manager.export("source", "yml")
    document = yaml.safe_load(exported)
    assert document["name"] == "source"

    await manager.create_from_file("environment.yml", exported, name="rebuilt")
    original = {(p.name, p.version, p.build) for p in await manager.packages("source")}
    rebuilt = {(p.name, p.version, p.build) for p in await manager.packages("rebuilt")}
    assert rebuilt == original


async def test_lock_round_trip_and_clone_give_identical_packages(manager):
    await manager.create("pinned", EnvSpec(conda=["delta"]))
    lock = await manager.export("pinned", "lock")
    await manager.create_from_file("pinned.lock", lock, name="from-lock")
    await manager.clone("pinned", "copy")

    def identity(packages):
        return {(p.name, p.version, p.build, p.sha256) for p in packages}

    original = identity(await manager.packages("pinned"))
    assert identity(await manager.packages("from-lock")) == original
    assert identity(await manager.packages("copy")) == original


async def test_requirements_txt_makes_a_uv_venv(manager, tmp_path):
    env = await manager.create_from_file(
        "requirements.txt", "tiny-pkg==1.2\n", name="pypi-only"
    )
    assert env.kind == "venv"
    assert env.prefix == tmp_path / "venvs" / "pypi-only"
    assert [(p.name, p.version) for p in await manager.packages("pypi-only")] == [
        ("tiny-pkg", "1.2")
    ]
    assert "tiny-pkg==1.2" in await manager.export("pypi-only", "requirements")


async def test_conda_specs_refused_for_venvs_and_bad_export_format(manager):
    with pytest.raises(InvalidRequest, match="conda syntax"):
        await manager.create("v", EnvSpec(conda=["numpy=1.2=py_0"]), engine="uv")
    await manager.create("e", EnvSpec(conda=["alpha"]))
    with pytest.raises(InvalidRequest):
        await manager.export("e", "pdf")


async def test_shared_holders_coexist_and_block_a_change_naming_the_holder(tmp_path):
    from jupyter_env_manager.core.errors import EnvironmentBusy
    from jupyter_env_manager.core.locks import EnvironmentLocks

    locks = EnvironmentLocks(tmp_path / "locks")
    key = str(tmp_path / "envs" / "a")
    async with locks.hold(key, wait=False, shared=True, operation="clone a to b", label="a"):
        async with locks.hold(key, wait=False, shared=True, operation="export a", label="a"):
            locks.check_free(key, shared=True)  # another reader may come
        with pytest.raises(EnvironmentBusy, match="clone a to b|export a") as busy:
            locks.check_free(key, label="a")
        assert "is busy" in busy.value.message
        with pytest.raises(EnvironmentBusy):
            async with locks.hold(key, wait=False, operation="remove a"):
                pass
    locks.check_free(key)  # all released
