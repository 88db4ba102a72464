"""Disk use through a running server: two kernel environments sharing hard-linked
files from rattler's package cache report honest shared and total sizes; a clean,
previewed first, frees what only a removed environment used and leaves both
environments' kernels working."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.kernels.kernel_ws import execute
from tests.server.conftest import Api

from .conftest import Dirs, make_kernel_conda_prefix, server_config, tree_snapshot

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")

KERNEL_ENVS = ("k1", "k2")


@pytest.fixture
def disk_dirs(tmp_path: Path, local_channel: str) -> Dirs:
    dirs = Dirs(tmp_path / "disk")
    for folder in (dirs.user_envs, dirs.venvs):
        folder.mkdir(parents=True)
    for name in KERNEL_ENVS:
        make_kernel_conda_prefix(local_channel, dirs.user_envs / name, dirs.rattler_cache)
    return dirs


@pytest.fixture
def jp_server_config(disk_dirs: Dirs, local_channel: str, wheelhouse: Path):
    return server_config(disk_dirs, local_channel, wheelhouse)


def inodes(prefix: Path) -> dict[tuple[int, int], int]:
    """What `du` counts under `prefix`: each inode once, in 512-byte blocks."""
    found = {}
    for dirpath, _dirs, files in os.walk(prefix):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            found[(st.st_dev, st.st_ino)] = st.st_blocks * 512
    return found


async def _kernel_reads_its_files(jp_fetch, jp_ws_fetch, env: str) -> str:
    response = await jp_fetch(
        "api", "kernels", method="POST", body=json.dumps({"name": f"conda-env-{env}-py"})
    )
    kernel_id = json.loads(response.body)["id"]
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    run = await execute(
        ws, "import sys, ipykernel; print(open(sys.prefix + '/share/alpha/VERSION').read())"
    )
    ws.close()
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert run.reply["status"] == "ok", run.reply
    return run.stdout.strip()


async def test_shared_files_are_counted_once_and_a_clean_keeps_kernels_working(
    api: Api, jp_fetch, jp_ws_fetch, disk_dirs: Dirs
):
    # An environment that alone uses gamma and delta, then removed: their cached
    # packages are what a clean may take.
    task = await api.run("POST", "environments", body={"name": "gone", "packages": ["delta"]})
    assert task["status"] == "succeeded", task
    task = await api.run("DELETE", "environments", "gone")
    assert task["status"] == "succeeded", task

    code, report = await api.call("GET", "disk")
    assert code == 200, report
    rows = {row["name"]: row for row in report["environments"]}
    assert set(rows) == set(KERNEL_ENVS)
    maps = {name: inodes(disk_dirs.user_envs / name) for name in KERNEL_ENVS}
    both = maps["k1"].keys() & maps["k2"].keys()
    assert both, "the two envs should share hard-linked files from the package cache"
    for name in KERNEL_ENVS:
        assert rows[name]["size_bytes"] == sum(maps[name].values())
        assert rows[name]["shared_bytes"] == sum(maps[name][i] for i in both)
        assert rows[name]["own_bytes"] == rows[name]["size_bytes"] - rows[name]["shared_bytes"]
    union = {**maps["k1"], **maps["k2"]}
    assert report["total_bytes"] == sum(union.values())
    assert report["sum_of_sizes_bytes"] == rows["k1"]["size_bytes"] + rows["k2"]["size_bytes"]
    assert report["total_bytes"] < report["sum_of_sizes_bytes"]
    # The sidebar's size of an environment is the Disk report's, not another measure.
    code, listed = await api.call("GET", "environments", params={"sizes": "true"})
    assert code == 200, listed
    assert {e["name"]: e["size_bytes"] for e in listed if e["name"] in rows} == {
        name: rows[name]["size_bytes"] for name in rows
    }

    # The preview names the unused packages and changes nothing.
    pkgs = disk_dirs.rattler_cache / "pkgs"
    before = tree_snapshot(pkgs)
    code, preview = await api.call("POST", "disk", "clean", body={"dry_run": True})
    assert code == 200, preview
    rattler = next(c for c in preview["caches"] if c["kind"] == "rattler")
    planned = {Path(i["path"]).name for i in rattler["items"] if i["what"] == "package"}
    assert {name.rsplit("-", 2)[0] for name in planned} == {"gamma", "delta"}
    assert rattler["kept_in_use"] == 2  # python and alpha, linked by k1 and k2
    assert rattler["reclaimable_bytes"] > 0
    assert tree_snapshot(pkgs) == before

    task = await api.run("POST", "disk", "clean", body={})
    assert task["status"] == "succeeded", task
    result = task["result"]
    cleaned = next(c for c in result["caches"] if c["kind"] == "rattler")
    assert cleaned["freed_bytes"] == rattler["reclaimable_bytes"]
    left = {p.name.rsplit("-", 2)[0] for p in pkgs.iterdir() if p.is_dir()}
    assert left == {"python", "alpha"}

    for name in KERNEL_ENVS:
        assert await _kernel_reads_its_files(jp_fetch, jp_ws_fetch, name) == "alpha 2.0"

    # A second clean finds nothing more to free.
    code, again = await api.call("POST", "disk", "clean", body={"dry_run": True})
    rattler = next(c for c in again["caches"] if c["kind"] == "rattler")
    assert rattler["items"] == []


async def test_clean_refuses_bad_bodies(api: Api):
    for body in ("[]", {"dry_run": "yes"}, {"force": True}):
        code, answer = await api.call("POST", "disk", "clean", body=body)
        assert code == 400, (body, answer)
