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


async def test_unpinnable_foreign_and_newer_pins_over_rest(api, jp_root_dir, envs_root, tmp_path):
    from tests.notebooks.editable import install_editable

    venv = {"name": "dev", "engine": "uv", "pip": ["tiny-pkg==1.2"]}
    task = await api.run("POST", "environments", body=venv)
    assert task["status"] == "succeeded", task
    install_editable(envs_root / "venvs" / "dev", tmp_path)
    write_notebook(jp_root_dir / "dev.ipynb", "x = 1")
    before = (jp_root_dir / "dev.ipynb").read_bytes()
    code, answer = await api.call("POST", "notebooks", "pin",
                                  body={"path": "dev.ipynb", "env": "dev"})  # fmt: skip
    assert code == 422 and "my-editable" in answer["message"], answer
    assert (jp_root_dir / "dev.ipynb").read_bytes() == before

    # A pin made on another platform: rebuilt from its spec, and the result says so.
    task = await api.run("POST", "environments", body={"name": "mac", "packages": ["delta"]})
    assert task["status"] == "succeeded", task
    write_notebook(jp_root_dir / "mac.ipynb", "x = 1")
    code, _ = await api.call("POST", "notebooks", "pin", body={"path": "mac.ipynb", "env": "mac"})
    assert code == 200
    data = json.loads((jp_root_dir / "mac.ipynb").read_text())
    data["metadata"]["jupyter_env_manager"]["pin"]["platform"] = "osx-arm64"
    (jp_root_dir / "mac.ipynb").write_text(json.dumps(data))
    assert (await api.run("DELETE", "environments", "mac"))["status"] == "succeeded"
    done = await api.run("POST", "notebooks", "reproduce", body={"path": "mac.ipynb"})
    assert done["status"] == "succeeded", done
    assert done["result"]["how"] == "spec"

    # A newer pin schema: 400 naming it, from status and reproduce alike.
    data["metadata"]["jupyter_env_manager"]["pin"]["schema"] = 7
    (jp_root_dir / "future.ipynb").write_text(json.dumps(data))
    code, answer = await api.call("GET", "notebooks", "status", params={"path": "future.ipynb"})
    assert code == 400 and "pin schema 7" in answer["message"], answer
    code, answer = await api.call("POST", "notebooks", "reproduce", body={"path": "future.ipynb"})
    assert code == 400 and "pin schema 7" in answer["message"], answer
