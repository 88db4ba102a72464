"""Removing an environment is atomic from the user's view, even when deleting fails
halfway: a real busy mount point inside the prefix makes the deletion fail."""

from __future__ import annotations

import os
import subprocess

import pytest

from jupyter_env_manager.core.manager import EnvManager

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
