"""History and rollback through a running server: a rattler prefix and a uv venv.
Install, look at the history, preview a rollback (nothing changes), roll back: the
package set is the revision's (conda-meta records; `uv pip freeze`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jupyter_env_manager.core.conda_prefix import read_records
from jupyter_env_manager.core.info import uv_binary
from tests.server.conftest import Api

from .conftest import Dirs, server_config, tree_snapshot


@pytest.fixture
def jp_server_config(lifecycle_dirs: Dirs, local_channel: str, wheelhouse: Path):
    return server_config(lifecycle_dirs, local_channel, wheelhouse)


def conda_set(prefix: Path) -> list[str]:
    return sorted(f"{r['name']}-{r['version']}-{r['build']}" for r in read_records(prefix))


def freeze(prefix: Path) -> str:
    done = subprocess.run(
        [uv_binary(), "pip", "freeze", "--python", str(prefix / "bin" / "python")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


async def _succeeds(api: Api, method: str, *parts: str, body=None) -> dict:
    task = await api.run(method, *parts, body=body)
    assert task["status"] == "succeeded", task
    return task


async def test_rattler_prefix_history_and_rollback(api: Api, lifecycle_dirs: Dirs):
    await _succeeds(api, "POST", "environments", body={"name": "rb", "packages": ["alpha=1.0"]})
    prefix = lifecycle_dirs.user_envs / "rb"
    at_zero = conda_set(prefix)
    body = {"action": "install", "packages": ["gamma=1.0"]}
    await _succeeds(api, "POST", "environments", "rb", "packages", body=body)
    body = {"action": "install", "packages": ["alpha=2.0", "gamma=2.0"]}
    await _succeeds(api, "POST", "environments", "rb", "packages", body=body)
    at_two = conda_set(prefix)

    code, found = await api.call("GET", "environments", "rb", "history")
    assert code == 200, found
    revisions = found["revisions"]
    assert [r["revision"] for r in revisions] == [0, 1, 2]
    assert revisions[0]["packages"] == at_zero
    assert revisions[2]["packages"] == at_two
    assert "gamma=1.0" in revisions[1]["request"]
    changes = {c["name"]: c for c in revisions[2]["changes"]}
    assert (changes["alpha"]["action"], changes["alpha"]["old_version"]) == ("update", "1.0")

    # The preview says what goes and changes nothing.
    before = tree_snapshot(prefix)
    code, plan = await api.call(
        "POST", "environments", "rb", "rollback", body={"revision": 0, "dry_run": True}
    )
    assert code == 200, plan
    assert plan["dry_run"] is True
    actions = {c["name"]: c["action"] for c in plan["changes"]}
    assert actions == {"alpha": "downgrade", "gamma": "remove"}
    assert tree_snapshot(prefix) == before

    await _succeeds(api, "POST", "environments", "rb", "rollback", body={"revision": 0})
    assert conda_set(prefix) == at_zero
    assert not (prefix / "share" / "gamma").exists()
    code, found = await api.call("GET", "environments", "rb", "history")
    last = found["revisions"][-1]
    assert last["revision"] == 3 and "--revision 0" in last["request"]
    assert last["packages"] == at_zero

    # What was asked for then is asked for again: a later install keeps alpha 1.0.
    body = {"action": "install", "packages": ["delta"], "dry_run": True}
    code, plan = await api.call("POST", "environments", "rb", "packages", body=body)
    assert code == 200 and "alpha" not in {c["name"] for c in plan["changes"]}, plan

    # Forward again, to the later revision.
    await _succeeds(api, "POST", "environments", "rb", "rollback", body={"revision": 2})
    assert conda_set(prefix) == at_two


async def test_rollback_refuses_bad_revisions_and_changes_nothing(api: Api, lifecycle_dirs: Dirs):
    await _succeeds(api, "POST", "environments", body={"name": "rb2", "packages": ["gamma"]})
    prefix = lifecycle_dirs.user_envs / "rb2"
    before = tree_snapshot(prefix)
    for body in ({"revision": 7}, {"revision": -1}, {"revision": "0"}, {"revision": True}, {},
                 {"revision": 0, "extra": 1}):  # fmt: skip
        code, answer = await api.call("POST", "environments", "rb2", "rollback", body=body)
        assert code == 400, (body, answer)
        assert answer["message"]
    code, answer = await api.call("POST", "environments", "nope", "rollback", body={"revision": 0})
    assert code == 404
    assert tree_snapshot(prefix) == before


async def test_venv_install_then_rollback_gives_identical_freeze(api: Api, lifecycle_dirs: Dirs):
    body = {"name": "vb", "engine": "uv", "packages": ["tiny-pkg==1.2"]}
    await _succeeds(api, "POST", "environments", body=body)
    prefix = lifecycle_dirs.venvs / "vb"
    frozen = freeze(prefix)
    assert "tiny-pkg==1.2" in frozen
    body = {"action": "install", "packages": ["tiny-pkg==1.3"]}
    await _succeeds(api, "POST", "environments", "vb", "packages", body=body)
    assert "tiny-pkg==1.3" in freeze(prefix)

    code, found = await api.call("GET", "environments", "vb", "history")
    assert [r["request"] for r in found["revisions"]] == ["create", "install tiny-pkg==1.3"]
    assert found["revisions"][1]["changes"] == [
        {"name": "tiny-pkg", "action": "update", "source": "pypi",
         "old_version": "1.2", "new_version": "1.3"},
    ]  # fmt: skip

    code, plan = await api.call(
        "POST", "environments", "vb", "rollback", body={"revision": 0, "dry_run": True}
    )
    assert code == 200 and [c["action"] for c in plan["changes"]] == ["downgrade"], plan
    assert "tiny-pkg==1.3" in freeze(prefix)
    await _succeeds(api, "POST", "environments", "vb", "rollback", body={"revision": 0})
    assert freeze(prefix) == frozen
