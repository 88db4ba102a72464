"""Every environment route end to end: real server, real rattler and uv engines."""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import quote

import yaml


async def test_create_list_get_packages_export_clone_remove(api, envs_root):
    task = await api.run("POST", "environments", body={"name": "demo", "packages": ["beta"]})
    assert task["status"] == "succeeded", task
    assert task["operation"] == "create"
    assert task["result"]["name"] == "demo"
    assert any(line.startswith("link") for line in task["log"]), task["log"]

    code, envs = await api.call("GET", "environments")
    assert code == 200
    assert [(e["name"], e["kind"], e["engine"]) for e in envs] == [("demo", "conda", "rattler")]
    assert envs[0]["prefix"] == str(envs_root / "envs" / "demo")

    code, env = await api.call("GET", "environments", "demo")
    assert code == 200 and env["name"] == "demo"

    code, packages = await api.call("GET", "environments", "demo", "packages")
    assert code == 200
    assert {"alpha", "beta"} <= {p["name"] for p in packages}

    response = await api.call("GET", "environments", "demo", "export", raw=True)
    assert response.code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="environment.yml"'
    assert response.headers["Content-Type"].startswith("text/yaml")
    exported = yaml.safe_load(response.body)
    assert exported["name"] == "demo"
    assert any(str(dep).startswith("beta=") for dep in exported["dependencies"])

    response = await api.call(
        "GET", "environments", "demo", "export", params={"format": "lock"}, raw=True
    )
    assert response.headers["Content-Disposition"] == 'attachment; filename="demo.lock.txt"'
    assert b"@EXPLICIT" in response.body

    task = await api.run("POST", "environments", "demo", "clone", body={"name": "demo-copy"})
    assert task["status"] == "succeeded", task
    code, copy_packages = await api.call("GET", "environments", "demo-copy", "packages")
    assert {(p["name"], p["version"]) for p in copy_packages} == {
        (p["name"], p["version"]) for p in packages
    }

    task = await api.run("DELETE", "environments", "demo")
    assert task["status"] == "succeeded", task
    assert not (envs_root / "envs" / "demo").exists()
    code, envs = await api.call("GET", "environments")
    assert [e["name"] for e in envs] == ["demo-copy"]


async def test_package_preview_then_install_update_remove(api):
    assert (await api.run("POST", "environments", body={"name": "pk", "packages": ["alpha=1.0"]}))[
        "status"
    ] == "succeeded"

    code, plan = await api.call(
        "POST", "environments", "pk", "packages",
        body={"action": "install", "packages": ["gamma"], "dry_run": True},
    )  # fmt: skip
    assert code == 200 and plan["dry_run"] is True
    assert [c["name"] for c in plan["changes"]] == ["gamma"]
    code, packages = await api.call("GET", "environments", "pk", "packages")
    assert "gamma" not in {p["name"] for p in packages}

    task = await api.run(
        "POST", "environments", "pk", "packages", body={"action": "install", "packages": ["gamma"]}
    )
    assert task["status"] == "succeeded" and task["operation"] == "install"
    assert [c["name"] for c in task["result"]["changes"]] == ["gamma"]

    task = await api.run(
        "POST", "environments", "pk", "packages", body={"action": "update", "packages": ["alpha"]}
    )
    assert task["status"] == "succeeded", task

    task = await api.run(
        "POST", "environments", "pk", "packages", body={"action": "remove", "packages": ["gamma"]}
    )
    assert task["status"] == "succeeded" and task["operation"] == "uninstall"
    code, packages = await api.call("GET", "environments", "pk", "packages")
    assert "gamma" not in {p["name"] for p in packages}


async def test_create_from_uploaded_files(api, envs_root):
    yml = "name: from-yml\ndependencies:\n  - delta\n"
    task = await api.run(
        "POST", "environments", body={"file": {"filename": "environment.yml", "content": yml}}
    )
    assert task["status"] == "succeeded", task
    assert task["environment"] == "from-yml"

    task = await api.run(
        "POST",
        "environments",
        body={"name": "pypi", "file": {"filename": "requirements.txt", "content": "tiny-pkg==1.3"}},
    )
    assert task["status"] == "succeeded", task
    assert task["result"]["kind"] == "venv"
    assert (envs_root / "venvs" / "pypi" / "pyvenv.cfg").is_file()


async def test_search(api):
    code, found = await api.call("GET", "packages", "search", params={"q": "alp"})
    assert code == 200
    assert "alpha" in {p["name"] for p in found}
    code, found = await api.call("GET", "packages", "search", params={"q": "tiny", "kind": "venv"})
    assert code == 200 and "tiny-pkg" in {p["name"] for p in found}


async def test_errors_are_4xx_with_messages(
    api, envs_root, http_server_client, jp_auth_header, jp_base_url
):
    code, body = await api.call("GET", "environments", "nope")
    assert code == 404 and "nope" in body["message"]
    code, body = await api.call("GET", "tasks", "0" * 32)
    assert code == 404

    await api.run("POST", "environments", body={"name": "exists", "packages": ["alpha"]})
    code, body = await api.call(
        "POST", "environments", body={"name": "exists", "packages": ["alpha"]}
    )
    assert code == 409 and "already exists" in body["message"]

    code, body = await api.call(
        "POST", "environments", "exists", "packages",
        body={"action": "install", "packages": ["alpha>=5"], "dry_run": True},
    )  # fmt: skip
    assert code == 422 and body["error"] == "Unsatisfiable", body

    code, body = await api.call(
        "POST", "environments", "exists", "packages",
        body={"action": "install", "packages": ["no-such-thing"], "dry_run": True},
    )  # fmt: skip
    assert code == 422 and "no-such-thing" in body["message"]

    # The server's own environment, addressed by its URL-encoded prefix.
    response = await http_server_client.fetch(
        f"{jp_base_url}env-manager/api/environments/{quote(sys.prefix, safe='')}",
        method="DELETE",
        headers=jp_auth_header,
        raise_error=False,
    )
    assert response.code == 409, response.body
    assert "cannot be removed" in json.loads(response.body)["message"]


async def test_concurrent_creates_of_one_name_give_one_202_and_one_409(api, envs_root):
    first, second = await asyncio.gather(
        api.call("POST", "environments", body={"name": "twice", "packages": ["delta"]}),
        api.call("POST", "environments", body={"name": "twice", "packages": ["delta"]}),
    )
    codes = sorted([first[0], second[0]])
    assert codes == [202, 409], (first, second)
    accepted = first if first[0] == 202 else second
    assert (await api.wait(accepted[1]["id"]))["status"] == "succeeded"
    assert [p.name for p in (envs_root / "envs").iterdir()] == ["twice"]


async def test_cancel_a_create_leaves_nothing(api, envs_root):
    code, task = await api.call(
        "POST", "environments", body={"name": "cancel-me", "pip": ["tiny-pkg"], "python": "3.99"}
    )
    # Python 3.99 does not exist: refused before anything starts, so nothing to cancel.
    assert code == 202 or code == 400
    if code == 202:
        assert (await api.wait(task["id"]))["status"] == "failed"

    code, task = await api.call(
        "POST", "environments", body={"name": "cancel-me", "packages": ["delta"]}
    )
    assert code == 202
    code, cancelled = await api.call("DELETE", "tasks", task["id"])
    assert code == 202
    final = await api.wait(task["id"])
    assert final["status"] in {"cancelled", "succeeded"}
    if final["status"] == "cancelled":
        code, _ = await api.call("GET", "environments", "cancel-me")
        assert code == 404
        assert not (envs_root / "envs" / "cancel-me").exists()


async def test_task_history_lists_newest_first(api):
    await api.run("POST", "environments", body={"name": "h1", "packages": ["alpha"]})
    await api.run("POST", "environments", body={"name": "h2", "packages": ["alpha"]})
    code, tasks = await api.call("GET", "tasks")
    assert code == 200
    assert [t["environment"] for t in tasks][:2] == ["h2", "h1"]


async def test_rest_removes_only_listed_environments(
    tmp_path, http_server_client, jp_base_url, jp_auth_header
):
    # A project's own venv, registered nowhere: it looks like an environment.
    project_venv = tmp_path / "project" / ".venv"
    project_venv.mkdir(parents=True)
    (project_venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project_venv / "keep.txt").write_text("mine")

    response = await http_server_client.fetch(
        f"{jp_base_url}env-manager/api/environments/{quote(str(project_venv), safe='')}",
        method="DELETE",
        headers=jp_auth_header,
        raise_error=False,
    )
    body = json.loads(response.body)
    assert response.code == 404, body
    assert "is not an environment this tool lists" in body["message"]
    assert (project_venv / "keep.txt").read_text() == "mine"
