"""Shared environments a user may use but not change, through a running server and the
CLI: a system envs folder that is really read-only (see conftest), and a writable
env named in EnvManager.protected_environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_user import CliUser
from tests.kernels.kernel_ws import execute
from tests.server.conftest import Api, env_path

from .conftest import SHARED_ENV, Dirs, server_config, tree_snapshot

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")

PROTECTED = "team"


@pytest.fixture
def jp_server_config(lifecycle_dirs: Dirs, local_channel: str, wheelhouse: Path, shared_env):
    return server_config(
        lifecycle_dirs,
        local_channel,
        wheelhouse,
        shared=True,
        protected_environments=[PROTECTED],
    )


async def _listed(api: Api) -> dict[str, dict]:
    code, envs = await api.call("GET", "environments")
    assert code == 200, envs
    return {env["name"]: env for env in envs}


async def test_read_only_env_is_listed_runs_a_kernel_and_refuses_every_change(
    api: Api, jp_fetch, jp_ws_fetch, shared_env: Path, lifecycle_dirs: Dirs
):
    before = tree_snapshot(lifecycle_dirs.shared_envs)
    envs = await _listed(api)
    shared = envs[SHARED_ENV]
    assert shared["read_only"] is True
    assert str(shared_env) in shared["read_only_reason"]

    # Used as a kernel: it starts and runs in the shared prefix.
    response = await jp_fetch(
        "api", "kernels", method="POST", body=json.dumps({"name": f"conda-env-{SHARED_ENV}-py"})
    )
    kernel_id = json.loads(response.body)["id"]
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    run = await execute(ws, "import sys; print(sys.prefix)")
    ws.close()
    await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert run.reply["status"] == "ok", run.reply
    assert run.stdout.strip() == str(shared_env)

    # Every change is refused before anything starts, previews included.
    name = env_path(SHARED_ENV)
    refusals = [
        await api.call("POST", "environments", name, "packages",
                       body={"action": "install", "packages": ["gamma"]}),
        await api.call("POST", "environments", name, "packages",
                       body={"action": "install", "packages": ["gamma"], "dry_run": True}),
        await api.call("POST", "environments", name, "packages",
                       body={"action": "update", "all": True}),
        await api.call("POST", "environments", name, "packages",
                       body={"action": "remove", "packages": ["alpha"]}),
        await api.call("DELETE", "environments", name),
        await api.call("POST", "environments", name, "rollback", body={"revision": 0}),
        await api.call("POST", "environments", name, "rollback",
                       body={"revision": 0, "dry_run": True}),
    ]  # fmt: skip
    for code, body in refusals:
        assert code == 403, body
        assert body["error"] == "ReadOnlyEnvironment"
        assert "Clone it" in body["message"]
        assert body["details"]["clone"]["source"] == SHARED_ENV
    code, tasks = await api.call("GET", "tasks")
    assert [t for t in tasks if t["environment"] == SHARED_ENV] == []
    assert tree_snapshot(lifecycle_dirs.shared_envs) == before

    # The clone offered instead works, and lands in the first writable envs dir.
    task = await api.run("POST", "environments", name, "clone", body={"name": "mine"})
    assert task["status"] == "succeeded", task
    envs = await _listed(api)
    assert envs["mine"]["read_only"] is False
    assert Path(envs["mine"]["prefix"]) == lifecycle_dirs.user_envs / "mine"
    assert tree_snapshot(lifecycle_dirs.shared_envs) == before


async def test_new_envs_go_to_the_first_writable_envs_dir(
    api: Api, lifecycle_dirs: Dirs, shared_env: Path
):
    task = await api.run("POST", "environments", body={"name": "fresh", "packages": ["gamma"]})
    assert task["status"] == "succeeded", task
    envs = await _listed(api)
    assert Path(envs["fresh"]["prefix"]) == lifecycle_dirs.user_envs / "fresh"


async def test_protected_env_is_used_but_not_changed_even_when_writable(
    api: Api, lifecycle_dirs: Dirs
):
    task = await api.run("POST", "environments", body={"name": PROTECTED, "packages": ["alpha"]})
    assert task["status"] == "succeeded", task
    prefix = lifecycle_dirs.user_envs / PROTECTED
    before = tree_snapshot(prefix)
    envs = await _listed(api)
    assert envs[PROTECTED]["read_only"] is True
    assert "protected_environments" in envs[PROTECTED]["read_only_reason"]

    code, body = await api.call(
        "POST", "environments", PROTECTED, "packages",
        body={"action": "install", "packages": ["gamma"]},
    )  # fmt: skip
    assert code == 403, body
    code, body = await api.call("DELETE", "environments", PROTECTED)
    assert code == 403, body
    assert tree_snapshot(prefix) == before
    code, packages = await api.call("GET", "environments", PROTECTED, "packages")
    assert code == 200 and {p["name"] for p in packages} == {"alpha"}


def test_cli_refuses_changes_to_a_read_only_env_in_one_line(
    lifecycle_dirs: Dirs, local_channel: str, wheelhouse: Path, shared_env: Path, tmp_path: Path
):
    config = server_config(lifecycle_dirs, local_channel, wheelhouse, shared=True)["EnvManager"]
    user = CliUser(tmp_path, config)
    before = tree_snapshot(lifecycle_dirs.shared_envs)

    listed = user.json("list")
    assert [e["read_only"] for e in listed if e["name"] == SHARED_ENV] == [True]
    for args in (
        ("install", "-n", SHARED_ENV, "gamma", "-y"),
        ("install", "-n", SHARED_ENV, "gamma", "--dry-run"),
        ("uninstall", "-n", SHARED_ENV, "alpha", "-y"),
        ("remove", "-n", SHARED_ENV, "-y"),
        ("rollback", "-n", SHARED_ENV, "--revision", "0", "-y"),
    ):
        done = user(*args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: Cannot "), done.stderr
        assert f"clone {SHARED_ENV} -n" in lines[0]
    assert tree_snapshot(lifecycle_dirs.shared_envs) == before
