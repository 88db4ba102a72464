"""The primitive journal recovery (and a rollback) is built on: put a prefix back to a
recorded package set. Real rattler installs from a local channel; real uv installs
from a local wheelhouse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from jupyter_env_manager.core.engines.install_journal import (
    Journal,
    read_journal,
    write_journal,
)
from jupyter_env_manager.core.engines.rattler_engine import RattlerEngine
from jupyter_env_manager.core.engines.uv_engine import UvEngine
from jupyter_env_manager.core.models import Environment, EnvSpec
from jupyter_env_manager.core.package_set import PackageSet, same_set
from tests.rattler.channel_builder import PackageDef, build_channel
from tests.rattler.helpers import tree_snapshot


def snapshot_without_history(prefix: Path) -> dict[str, str]:
    found = tree_snapshot(prefix)
    found.pop("conda-meta/history", None)
    return found


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    payload = {f"share/gamma/{i}.txt": f"gamma {i}\n" for i in range(20)}
    return build_channel(
        tmp_path_factory.mktemp("restore-channel"),
        [
            PackageDef("alpha", "1.0", files={"share/alpha/VERSION": "alpha 1.0\n"}),
            PackageDef("gamma", "1.0", files={**payload, "share/gamma/VERSION": "gamma 1\n"}),
            PackageDef("gamma", "2.0", files={"share/gamma/VERSION": "gamma 2\n"}),
            PackageDef("delta", "1.0", depends=["gamma"], files={"share/delta/x": "d\n"}),
        ],
    )


def conda_env(prefix: Path) -> Environment:
    return Environment(name=prefix.name, prefix=prefix, kind="conda", engine="rattler")


def test_a_conda_prefix_goes_back_to_a_recorded_set_after_install_update_and_remove(
    tmp_path, channel
):
    engine = RattlerEngine(channels=[channel], cache_dir=tmp_path / "cache")
    prefix = tmp_path / "envs" / "env"

    async def scenario() -> tuple[PackageSet, dict[str, str]]:
        await engine.create(prefix, EnvSpec(conda=["alpha", "gamma ==1.0"]))
        recorded = engine.package_set(prefix)
        files = snapshot_without_history(prefix)
        env = conda_env(prefix)
        await engine.install(env, ["delta"])  # adds delta
        await engine.update(env, ["gamma"])  # gamma 1.0 -> 2.0
        await engine.uninstall(env, ["alpha"])
        assert engine.package_set(prefix).versions() == {"gamma": "2.0", "delta": "1.0"}
        await engine.restore_package_set(prefix, PackageSet.from_json(recorded.to_json()))
        await asyncio.sleep(0.05)
        return recorded, files

    recorded, files = asyncio.run(scenario())
    assert same_set(engine.package_set(prefix), recorded)
    assert snapshot_without_history(prefix) == files  # gamma 1.0's 20 files are back


def test_half_linked_and_half_unlinked_packages_are_undone_from_the_journal(tmp_path, channel):
    """The two states a kill leaves that conda-meta cannot show: a package whose files
    landed before its record (delta), and one whose record outlived some of its files
    (gamma 1.0, being replaced)."""
    engine = RattlerEngine(channels=[channel], cache_dir=tmp_path / "cache")
    prefix = tmp_path / "envs" / "env"
    scratch = tmp_path / "scratch"

    async def scenario() -> dict[str, str]:
        await engine.create(prefix, EnvSpec(conda=["alpha", "gamma ==1.0"]))
        files = snapshot_without_history(prefix)
        # Let rattler extract delta into its cache, as an interrupted install would have.
        await engine.create(scratch, EnvSpec(conda=["delta", "gamma ==1.0"]))
        before = engine.package_set(prefix)
        delta = json.loads(next((scratch / "conda-meta").glob("delta-*.json")).read_text())
        write_journal(prefix, Journal(operation="install", engine="rattler", before=before,
                                      target=(delta,)))  # fmt: skip
        # The kill's leftovers: delta's file without its record, gamma missing files.
        (prefix / "share" / "delta").mkdir(parents=True)
        (prefix / "share" / "delta" / "x").write_text("d\n")
        for i in range(0, 20, 3):
            (prefix / "share" / "gamma" / f"{i}.txt").unlink()
        assert await engine.recover(prefix)
        await asyncio.sleep(0.05)
        return files

    files = asyncio.run(scenario())
    assert read_journal(prefix) is None
    assert snapshot_without_history(prefix) == files


def test_a_venv_goes_back_to_its_recorded_pins(tmp_path, wheelhouse):
    engine = UvEngine(find_links=[str(wheelhouse)], offline=True, cache_dir=tmp_path / "uv")
    prefix = tmp_path / "venvs" / "env"

    async def scenario() -> PackageSet:
        await engine.create(prefix, EnvSpec(pip=["tiny-pkg==1.2"]))
        recorded = engine.package_set(prefix)
        env = Environment(name="env", prefix=prefix, kind="venv", engine="uv")
        await engine.install(env, ["tiny-pkg==1.3"])
        assert engine.package_set(prefix).versions() == {"tiny-pkg": "1.3"}
        await engine.restore_package_set(prefix, recorded)
        return recorded

    recorded = asyncio.run(scenario())
    assert engine.package_set(prefix) == recorded
    assert recorded.versions() == {"tiny-pkg": "1.2"}


def test_a_journal_whose_tool_still_runs_keeps_the_env_busy_until_it_exits(
    tmp_path, channel, monkeypatch
):
    """conda outlives a killed server: its env must not be undone under it."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # its ~/.conda/environments.txt
    import subprocess
    from dataclasses import replace

    from jupyter_env_manager.core.errors import EnvironmentBusy
    from jupyter_env_manager.core.manager import EnvManager

    manager = EnvManager(
        envs_dirs=[str(tmp_path / "envs")], venvs_dir=str(tmp_path / "venvs"),
        locks_dir=str(tmp_path / "locks"), channels=[channel], default_engine="rattler",
        rattler_cache_dir=str(tmp_path / "cache"), offline=True,
    )  # fmt: skip
    asyncio.run(manager.create("env", EnvSpec(conda=["alpha"])))
    env = manager.get("env")
    engine = manager.engine("rattler")
    tool = subprocess.Popen(["sleep", "30"])
    try:
        journal = Journal(
            operation="install", engine="conda", before=engine.package_set(env.prefix)
        )
        write_journal(env.prefix, replace(journal, tool_pid=tool.pid))
        with pytest.raises(EnvironmentBusy, match=f"conda install \\(process {tool.pid}\\)"):
            manager.check_idle(env)
        with pytest.raises(EnvironmentBusy):
            asyncio.run(manager.repair(env))
        assert read_journal(env.prefix) is not None
    finally:
        tool.kill()
        tool.wait()
    manager.check_idle(env)  # the tool is gone: free, and the journal is undone
    assert [e.needs_repair for e in manager.list() if e.name == "env"] == [True]
    assert manager.get("env").to_json()["needs_repair"] is True
    assert asyncio.run(manager.repair(env))
    assert read_journal(env.prefix) is None
    assert manager.get("env").needs_repair is False
    assert engine.package_set(env.prefix).versions() == {"alpha": "1.0"}
