"""Pin, status and reproduce over REST against a real server (rattler from the local
channel): the notebook carries its environment, and the server rebuilds it."""

from __future__ import annotations

import json

from tests.grid.conftest import write_notebook


async def test_pin_status_reproduce_over_rest(api, jp_root_dir, envs_root):
    task = await api.run("POST", "environments", body={"name": "nb-env", "packages": ["delta"]})
    assert task["status"] == "succeeded", task
    write_notebook(jp_root_dir / "nb.ipynb", "x = 1", "y = x")

    code, pinned = await api.call("POST", "notebooks", "pin",
                                  body={"path": "nb.ipynb", "env": "nb-env"})  # fmt: skip
    assert code == 200, pinned
    assert pinned["changed"] is True
    saved = json.loads((jp_root_dir / "nb.ipynb").read_text())
    assert saved["metadata"]["jupyter_env_manager"]["pin"] == pinned["pin"]

    code, found = await api.call("GET", "notebooks", "status", params={"path": "nb.ipynb"})
    assert (code, found["state"], found["environment"]) == (200, "match", "nb-env")

    assert (await api.run("DELETE", "environments", "nb-env"))["status"] == "succeeded"
    code, found = await api.call("GET", "notebooks", "status", params={"path": "nb.ipynb"})
    assert found["state"] == "missing"

    done = await api.run("POST", "notebooks", "reproduce", body={"path": "nb.ipynb"})
    assert done["status"] == "succeeded", done
    assert done["result"]["how"] == "lock" and done["result"]["environment"] == "nb-env"
    code, found = await api.call("GET", "notebooks", "status", params={"path": "nb.ipynb"})
    assert found["state"] == "match"


async def test_bad_notebook_requests_are_4xx_and_change_nothing(api, jp_root_dir):
    write_notebook(jp_root_dir / "plain.ipynb", "x = 1")
    before = (jp_root_dir / "plain.ipynb").read_bytes()
    cases = [
        ("POST", ("notebooks", "pin"), {"path": "../outside.ipynb", "env": "x"}, 400, "inside"),
        ("POST", ("notebooks", "pin"), {"path": "plain.ipynb", "env": "nope"}, 404, "nope"),
        ("POST", ("notebooks", "pin"), {"path": "missing.ipynb", "env": "x"}, 400, "No notebook"),
        ("POST", ("notebooks", "reproduce"), {"path": "plain.ipynb"}, 400, "no pinned"),
        ("POST", ("notebooks", "reproduce"), {"path": "plain.ipynb", "x": 1}, 400, "x"),
    ]
    for method, parts, body, status, fragment in cases:
        code, answer = await api.call(method, *parts, body=body)
        assert code == status, (body, answer)
        assert fragment in answer["message"], answer
    code, answer = await api.call("GET", "notebooks", "status", params={"path": "plain.ipynb"})
    assert answer["state"] == "unpinned"
    assert (jp_root_dir / "plain.ipynb").read_bytes() == before
    code, tasks = await api.call("GET", "tasks")
    assert tasks == []
