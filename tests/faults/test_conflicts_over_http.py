"""Conflicting and concurrent requests against a real server process over HTTP.

- Two creates of one name at once, remove-during-clone, install-during-grid: exactly
  one proceeds, every other request gets a 409 naming the operation that holds the
  environment, and nothing half made is left on disk.
- 60 list / kernelspec / task requests at once while a create and a grid run: all 200.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.grid.conftest import write_notebook
from tests.rattler.channel_builder import PackageDef, build_channel

from .server_process import ServerProcess
from .test_server_killed_mid_create import engine_case, tree_digest, wait_task

BULK_FILES = 6000


@pytest.fixture(scope="module")
def bulk_channel(tmp_path_factory) -> str:
    files = {f"share/bulk/d{i // 200}/f{i}.txt": f"file {i}\n" * 40 for i in range(BULK_FILES)}
    return build_channel(
        tmp_path_factory.mktemp("bulk-channel"),
        [PackageDef("bulk", "1.0", files=files), PackageDef("small", "1.0")],
    )


@pytest.fixture
def server(tmp_path, bulk_channel):
    config, environ, _bodies = engine_case("rattler", tmp_path, bulk_channel, None)
    process = ServerProcess(tmp_path, config, environ)
    process.start()
    yield process
    process.stop()


def at_once(*calls) -> list[tuple[int, object]]:
    """Run the calls in threads released together, so they reach the server at once."""
    barrier = threading.Barrier(len(calls))

    def run(call):  # type: ignore[no-untyped-def]
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def envs_dir(server: ServerProcess) -> Path:
    return server.base / "envs"


def on_disk(server: ServerProcess) -> set[str]:
    """Every entry of the envs folder, hidden staging folders included."""
    folder = envs_dir(server)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def listed(server: ServerProcess) -> list[str]:
    code, envs = server.call("GET", "env-manager/api/environments")
    assert code == 200, envs
    return sorted(e["name"] for e in envs if not e["is_base"])  # type: ignore[union-attr]


def create(server: ServerProcess, name: str, *packages: str):  # type: ignore[no-untyped-def]
    return lambda: server.call(
        "POST", "env-manager/api/environments", {"name": name, "packages": list(packages)}
    )


def bulk_count(prefix: Path) -> int:
    folder = prefix / "share" / "bulk"
    return sum(1 for _ in folder.rglob("*.txt")) if folder.exists() else 0


def test_six_creates_of_one_name_at_once_make_one_environment(server):
    answers = at_once(*[create(server, "twin", "bulk") for _ in range(6)])
    accepted = [body for code, body in answers if code == 202]
    refused = [body for code, body in answers if code == 409]
    assert len(accepted) == 1 and len(refused) == 5, answers
    for body in refused:
        assert "create twin" in body["message"] or "create is running" in body["message"], body
    assert wait_task(server, accepted[0]["id"])["status"] == "succeeded"
    assert on_disk(server) == {"twin"}  # no second prefix, no staging folder
    assert listed(server) == ["twin"]
    assert bulk_count(envs_dir(server) / "twin") == BULK_FILES
    code, tasks = server.call("GET", "env-manager/api/tasks")
    assert [t["environment"] for t in tasks] == ["twin"]  # one task: the refused made none


def test_remove_and_clone_at_once_one_proceeds_the_other_is_refused(server):
    """Raced three times; before the locks were taken when a request is accepted, a
    remove could slip in between a clone's 202 and its start (both 202, one task failed
    later)."""
    outcomes = set()
    for round_ in range(3):
        source, copy = f"src{round_}", f"copy{round_}"
        code, task = create(server, source, "bulk")()
        assert code == 202 and wait_task(server, task["id"])["status"] == "succeeded"
        prefix = envs_dir(server) / source
        before = tree_digest(prefix)
        clone_answer, remove_answer = at_once(
            lambda s=source, c=copy: server.call(
                "POST", f"env-manager/api/environments/{s}/clone", {"name": c}
            ),
            lambda s=source: server.call("DELETE", f"env-manager/api/environments/{s}"),
        )
        codes = (clone_answer[0], remove_answer[0])
        assert sorted(codes) in ([202, 409], [202, 404]), (clone_answer, remove_answer)
        if clone_answer[0] == 202:
            outcomes.add("clone")
            assert remove_answer[0] == 409, remove_answer
            assert f"clone {source} to {copy}" in remove_answer[1]["message"]
            assert wait_task(server, clone_answer[1]["id"])["status"] == "succeeded"
            assert tree_digest(prefix) == before
            assert bulk_count(envs_dir(server) / copy) == BULK_FILES
        else:
            outcomes.add("remove")
            if clone_answer[0] == 409:
                assert f"remove {source}" in clone_answer[1]["message"], clone_answer
            assert wait_task(server, remove_answer[1]["id"])["status"] == "succeeded"
            assert not prefix.exists() and not (envs_dir(server) / copy).exists()
        assert not {n for n in on_disk(server) if n.startswith(".")}  # nothing half made
    # And the plain order: a clone running, then a remove.
    code, task = create(server, "held", "bulk")()
    assert wait_task(server, task["id"])["status"] == "succeeded"
    code, cloning = server.call("POST", "env-manager/api/environments/held/clone",
                                {"name": "held-copy"})  # fmt: skip
    assert code == 202, cloning
    code, refused = server.call("DELETE", "env-manager/api/environments/held")
    assert code == 409 and "clone held to held-copy" in refused["message"], refused
    assert refused["details"]["holder"].startswith("clone held to held-copy")
    assert wait_task(server, cloning["id"])["status"] == "succeeded"
    assert {"held", "held-copy"} <= set(listed(server))


def test_install_and_remove_during_a_grid_are_refused_naming_the_grid(tmp_path, bulk_channel):
    config, environ, _bodies = engine_case("rattler", tmp_path, bulk_channel, None)
    config["EnvManager"].update(default_engine="uv", offline=False)
    server = ServerProcess(tmp_path, config, environ)
    server.start()
    try:
        body = {"name": "gridenv", "engine": "uv", "pip": ["ipykernel"]}
        code, task = server.call("POST", "env-manager/api/environments", body)
        assert code == 202 and wait_task(server, task["id"])["status"] == "succeeded"
        prefix = Path(server.base / "venvs" / "gridenv")
        before = tree_digest(prefix)
        write_notebook(server.root / "slow.ipynb", "x = 0", "import time\ntime.sleep(3)\ny = x")
        code, grid = server.call("POST", "env-manager/api/grids",
                                 {"notebook": "slow.ipynb", "grid": {"x": [1, 2]},
                                  "env": "gridenv", "workers": 1})  # fmt: skip
        assert code == 202, grid
        grid_id = grid["grid_id"]
        deadline = time.monotonic() + 120
        while True:
            code, state = server.call("GET", f"env-manager/api/grids/{grid_id}")
            if state["counts"]["running"]:
                break
            assert state["active"] and time.monotonic() < deadline, state
            time.sleep(0.1)
        code, body = server.call("POST", "env-manager/api/environments/gridenv/packages",
                                 {"action": "install", "pip": ["tiny-pkg"]})  # fmt: skip
        assert code == 409 and f"grid search {grid_id}" in body["message"], body
        code, body = server.call("DELETE", "env-manager/api/environments/gridenv")
        assert code == 409 and f"grid search {grid_id}" in body["message"], body
        deadline = time.monotonic() + 180
        while state["active"]:
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
            code, state = server.call("GET", f"env-manager/api/grids/{grid_id}")
        assert state["state"] == "finished" and state["counts"]["ok"] == 2, state
        assert tree_digest(prefix) == before  # the refused install changed nothing
    finally:
        server.stop()


def test_sixty_reads_at_once_while_a_create_and_a_grid_run_all_answer_200(server):
    # Each point sleeps 4 s and two run at a time, so once a point runs the grid stays
    # active for 8 s or more: long enough for the create to start and the burst to end.
    write_notebook(server.root / "slow.ipynb", "x = 0", "import time\ntime.sleep(4)\ny = x")
    code, grid = server.call("POST", "env-manager/api/grids",
                             {"notebook": "slow.ipynb", "grid": {"x": [1, 2, 3, 4]},
                              "kernel": "python3", "workers": 2})  # fmt: skip
    assert code == 202, grid
    deadline = time.monotonic() + 120
    # The grid first: its kernels may take longer to start than the whole create takes.
    grid_route = f"env-manager/api/grids/{grid['grid_id']}"
    while not server.call("GET", grid_route)[1]["counts"]["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    code, making = create(server, "busy", "bulk")()
    assert code == 202, making
    while True:  # both really running when the burst starts
        _, state = server.call("GET", f"env-manager/api/grids/{grid['grid_id']}")
        _, task = server.call("GET", f"env-manager/api/tasks/{making['id']}")
        if state["counts"]["running"] and task["status"] == "running":
            break
        assert state["active"] and task["status"] in ("queued", "running"), (state, task)
        assert time.monotonic() < deadline
        time.sleep(0.02)
    routes = ["env-manager/api/environments", "api/kernelspecs", "env-manager/api/tasks"]
    calls = [lambda route=route: server.call("GET", route) for route in routes * 20]
    answers = at_once(*calls)
    _, state = server.call("GET", f"env-manager/api/grids/{grid['grid_id']}")
    assert state["active"], "the grid ended before the burst did"
    assert [code for code, _ in answers] == [200] * 60, [
        (code, json.dumps(body)[:200]) for code, body in answers if code != 200
    ]
    for (_code, body), route in zip(answers, routes * 20, strict=True):
        if route == "api/kernelspecs":
            assert "python3" in body["kernelspecs"]  # type: ignore[index]
        else:
            assert isinstance(body, list)
    assert wait_task(server, making["id"])["status"] == "succeeded"
    deadline = time.monotonic() + 180
    while state["active"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
        _, state = server.call("GET", f"env-manager/api/grids/{grid['grid_id']}")
    assert state["state"] == "finished" and state["counts"]["ok"] == 4, state


def test_a_clone_of_an_env_left_mid_change_clones_it_as_it_was(server):
    """A CLI killed mid-install leaves a journal while the server runs: a REST clone
    undoes the cut-short change first (the clone task holds the source shared, too late
    to), then copies the old package set."""
    from jupyter_env_manager.core.engines.install_journal import Journal, write_journal
    from jupyter_env_manager.core.package_set import read_package_set

    code, task = create(server, "src", "small")()
    assert wait_task(server, task["id"])["status"] == "succeeded"
    prefix = envs_dir(server) / "src"
    before = read_package_set(prefix, "conda")
    code, task = server.call("POST", "env-manager/api/environments/src/packages",
                             {"action": "install", "packages": ["bulk"]})  # fmt: skip
    assert wait_task(server, task["id"])["status"] == "succeeded"
    write_journal(prefix, Journal(operation="install", engine="rattler", before=before))
    code, env = server.call("GET", "env-manager/api/environments/src")
    assert env["needs_repair"] is True

    code, task = server.call("POST", "env-manager/api/environments/src/clone", {"name": "dup"})
    assert code == 202, task
    assert wait_task(server, task["id"])["status"] == "succeeded"
    for name in ("src", "dup"):
        code, packages = server.call("GET", f"env-manager/api/environments/{name}/packages")
        assert [p["name"] for p in packages] == ["small"], (name, packages)
    assert bulk_count(prefix) == 0
    code, env = server.call("GET", "env-manager/api/environments/src")
    assert env["needs_repair"] is False
