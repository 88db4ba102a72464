"""Real file-system faults: a full disk during create, and a removal whose deletion
fails halfway (a busy mount point inside the prefix). Each leaves nothing half-made."""

from __future__ import annotations

import os
import subprocess

import pytest

from jupyter_env_manager.core.manager import EnvManager
from tests.rattler.channel_builder import PackageDef, build_channel

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def busy_mount(envs_root):
    mounts = []

    def mount(folder):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "jem-test", str(folder)],
                       check=True)  # fmt: skip
        mounts.append(folder)

    yield mount
    for folder in mounts:
        subprocess.run(["umount", "-l", str(folder)], check=False)


async def test_a_removal_that_fails_halfway_leaves_no_half_environment(api, envs_root, busy_mount):
    task = await api.run("POST", "environments", body={"name": "stuck", "packages": ["delta"]})
    assert task["status"] == "succeeded", task
    prefix = envs_root / "envs" / "stuck"
    busy_mount(prefix / "share" / "busy")  # rmdir of a mount point fails: EBUSY

    task = await api.run("DELETE", "environments", "stuck")
    assert task["status"] == "failed"
    assert "is removed, but" in task["error"]["message"], task
    assert "delete that folder by hand" in task["error"]["message"]

    code, envs = await api.call("GET", "environments")
    assert "stuck" not in [env["name"] for env in envs]
    assert not prefix.exists()  # renamed aside first: no half-deleted env in its place
    left = [p for p in (envs_root / "envs").iterdir() if p.name.startswith(".stuck.removing-")]
    assert len(left) == 1 and (left[0] / "share" / "busy").is_dir()

    # The next start finishes the job once the obstacle is gone.
    subprocess.run(["umount", "-l", str(left[0] / "share" / "busy")], check=True)
    manager = EnvManager(envs_dirs=[str(envs_root / "envs")], venvs_dir=str(envs_root / "venvs"),
                         locks_dir=str(envs_root / "locks"))  # fmt: skip
    manager.clean_interrupted_builds()
    assert not left[0].exists()


async def test_a_full_disk_during_create_is_a_507_and_leaves_nothing(
    api, envs_root, busy_mount, tmp_path
):
    task = await api.run("POST", "environments", body={"name": "small", "packages": ["delta"]})
    assert task["status"] == "succeeded", task
    # Incompressible, so it cannot fit the 1 MB disk the envs live on.
    big = PackageDef("big", "1.0", files={"share/big.bin": os.urandom(3_000_000)})
    channel = build_channel(tmp_path / "big-channel", [big])
    envs = envs_root / "envs"
    before = sorted(str(p.relative_to(envs)) for p in envs.rglob("*"))
    saved = tmp_path / "saved"
    subprocess.run(["cp", "-a", str(envs), str(saved)], check=True)
    busy_mount(envs)  # a tiny, empty disk over the envs dir ...
    subprocess.run(["cp", "-a", f"{saved}/.", str(envs)], check=True)  # ... holding `small`

    task = await api.run(
        "POST", "environments", body={"name": "huge", "packages": ["big"], "channels": [channel]}
    )
    assert task["status"] == "failed"
    assert task["error"]["error"] == "DiskFull", task["error"]
    assert "Not enough disk space" in task["error"]["message"]
    assert sorted(str(p.relative_to(envs)) for p in envs.rglob("*")) == before
    code, envs_listed = await api.call("GET", "environments")
    assert [env["name"] for env in envs_listed] == ["small"]
