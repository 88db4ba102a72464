"""The disk core on real folders: sizes follow the package set (the cache is keyed by
its stamp), a clean keeps a package hard-linked anywhere, and refuses while an
environment is being changed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from jupyter_env_manager.core import disk, disk_report, package_caches
from jupyter_env_manager.core.errors import EnvironmentBusy
from jupyter_env_manager.core.manager import EnvManager
from jupyter_env_manager.core.models import Environment


def venv_like(prefix: Path) -> Environment:
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("version = 3.11.9\n")
    (site / "a.py").write_text("a = 1\n" * 1000)
    return Environment(name=prefix.name, prefix=prefix, kind="venv", engine="uv")


def test_cached_sizes_follow_the_package_set(tmp_path: Path):
    env = venv_like(tmp_path / "v")
    cache = disk.InodeCache()
    first, _ = disk.environments_usage([env], cache)
    site = env.prefix / "lib" / "python3.11" / "site-packages"
    (site / "b.py").write_text("b = 2\n" * 5000)  # what an install does: a new entry
    second, _ = disk.environments_usage([env], cache)
    added = (site / "b.py").stat().st_blocks * 512
    assert second.environments[0].size_bytes == first.environments[0].size_bytes + added
    assert cache.forget(env.prefix) and not cache.forget(env.prefix)


def package(pkgs: Path, name: str) -> Path:
    folder = pkgs / name
    (folder / "info").mkdir(parents=True)
    (folder / "info" / "index.json").write_text("{}")
    (folder / "share").mkdir()
    (folder / "share" / "data").write_text("x" * 10000)
    (pkgs / f"{name}.lock").write_text("")
    return folder


def test_a_package_hard_linked_outside_any_listed_env_is_kept(tmp_path: Path):
    pkgs = tmp_path / "pkgs"
    linked = package(pkgs, "linked-1.0-h0_0")
    package(pkgs, "unused-1.0-h0_0")
    elsewhere = tmp_path / "unlisted-env" / "share"
    elsewhere.mkdir(parents=True)
    os.link(linked / "share" / "data", elsewhere / "data")
    (pkgs / "old-1.0-h0_0.conda").write_bytes(b"z" * 4096)

    plan = package_caches.plan_conda_layout("conda", pkgs, {})
    removable = {Path(i.path).name for i in plan.items}
    assert removable == {"unused-1.0-h0_0", "unused-1.0-h0_0.lock", "old-1.0-h0_0.conda"}
    assert plan.kept_in_use == 1
    removed = package_caches.apply_plan(plan, {})
    assert {Path(i.path).name for i in removed} == removable
    assert sorted(p.name for p in pkgs.iterdir()) == ["linked-1.0-h0_0", "linked-1.0-h0_0.lock"]
    assert (elsewhere / "data").read_text() == "x" * 10000


def test_clean_refuses_while_an_environment_is_changed(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    manager = EnvManager(
        envs_dirs=[str(tmp_path / "envs")], venvs_dir=str(tmp_path / "venvs"),
        locks_dir=str(tmp_path / "locks"), rattler_cache_dir=str(tmp_path / "rattler"),
    )  # fmt: skip
    package(tmp_path / "rattler" / "pkgs", "unused-1.0-h0_0")

    async def clean_during_a_change() -> None:
        async with manager.locks.hold("/some/env", wait=False, operation="install in x"):
            with pytest.raises(EnvironmentBusy, match="install in x"):
                await asyncio.to_thread(disk_report.clean, manager, dry_run=False)

    asyncio.run(clean_during_a_change())
    assert (tmp_path / "rattler" / "pkgs" / "unused-1.0-h0_0").is_dir()
    done = disk_report.clean(manager, dry_run=False)
    assert not (tmp_path / "rattler" / "pkgs" / "unused-1.0-h0_0").exists()
    assert done["freed_bytes"] > 0


def test_the_uv_cache_is_found_where_uv_says_even_with_forced_colours(monkeypatch):
    """Playwright's servers (and some CIs) set FORCE_COLOR: uv then colours what it
    prints, and a coloured path names no folder."""
    from jupyter_env_manager.core.info import uv_binary

    uv = uv_binary()
    if uv is None:
        pytest.skip("uv is not installed")
    monkeypatch.setenv("FORCE_COLOR", "1")
    environ = {k: v for k, v in os.environ.items() if k != "UV_CACHE_DIR"}
    found = package_caches.uv_cache_dir(uv, environ)
    assert found is not None and "\x1b" not in str(found)
    assert found.is_absolute()
