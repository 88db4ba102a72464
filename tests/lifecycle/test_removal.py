"""Removing an environment removes its history, its cached sizes and the kernelspecs
written for it, and nothing else: the other environment keeps all three."""

from __future__ import annotations

from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_data_dir

from jupyter_env_manager.core import discovery, disk
from jupyter_env_manager.core.paths import path_key
from tests.kernels.conftest import make_venv
from tests.server.conftest import Api

from .conftest import Dirs, server_config, tree_snapshot


@pytest.fixture
def removal_dirs(tmp_path: Path) -> Dirs:
    dirs = Dirs(tmp_path / "removal")
    for folder in (dirs.user_envs, dirs.venvs):
        folder.mkdir(parents=True)
    for name in ("va", "vb"):
        make_venv(dirs.venvs / name, ipykernel=True)
    return dirs


@pytest.fixture
def jp_server_config(removal_dirs: Dirs, local_channel: str, wheelhouse: Path):
    return server_config(removal_dirs, local_channel, wheelhouse)


async def test_removal_takes_history_sizes_and_kernelspecs_and_nothing_else(
    api: Api, removal_dirs: Dirs
):
    kernels = Path(jupyter_data_dir()) / "kernels"
    for name in ("va", "vb"):
        task = await api.run("POST", "environments", name, "kernel")
        assert task["status"] == "succeeded", task
        body = {"action": "install", "packages": ["tiny-pkg==1.2"]}
        task = await api.run("POST", "environments", name, "packages", body=body)
        assert task["status"] == "succeeded", task
        code, found = await api.call("GET", "environments", name, "history")
        assert len(found["revisions"]) == 2, found  # what it held, then the install
    written = {p.name: p for p in kernels.iterdir()}
    ours = {n for n in written if "va" in n}
    assert ours and any("vb" in n for n in written)
    code, report = await api.call("GET", "disk")
    assert code == 200
    code, listed = await api.call("GET", "environments", params={"sizes": "true"})
    assert code == 200 and all(e["size_bytes"] for e in listed)
    assert path_key(removal_dirs.venvs / "va") in discovery._size_cache
    cached = set(disk.inode_cache.cached_prefixes())
    assert {path_key(removal_dirs.venvs / n) for n in ("va", "vb")} <= cached

    others_before = {
        "vb": tree_snapshot(removal_dirs.venvs / "vb"),
        "kernels": {
            k: v for k, v in tree_snapshot(kernels).items() if k.split("/")[0] not in ours
        },  # fmt: skip
        "envs": tree_snapshot(removal_dirs.user_envs),
    }
    task = await api.run("DELETE", "environments", "va")
    assert task["status"] == "succeeded", task

    assert not (removal_dirs.venvs / "va").exists()
    code, answer = await api.call("GET", "environments", "va", "history")
    assert code == 404
    assert not any((kernels / n).exists() for n in ours)
    cached = set(disk.inode_cache.cached_prefixes())
    assert path_key(removal_dirs.venvs / "va") not in cached
    assert path_key(removal_dirs.venvs / "va") not in discovery._size_cache
    assert path_key(removal_dirs.venvs / "vb") in discovery._size_cache
    assert path_key(removal_dirs.venvs / "vb") in cached
    assert {
        "vb": tree_snapshot(removal_dirs.venvs / "vb"),
        "kernels": tree_snapshot(kernels),
        "envs": tree_snapshot(removal_dirs.user_envs),
    } == others_before
    code, found = await api.call("GET", "environments", "vb", "history")
    assert len(found["revisions"]) == 2
