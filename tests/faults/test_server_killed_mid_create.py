"""SIGKILL the server in the middle of a create, for each engine (rattler from a local
channel, uv from a slow local index, the real conda from ../shared/conda): after a
restart the task is `interrupted`, the half-made environment is neither listed nor
on disk nor a kernel, and an environment made before is byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from tests.rattler.channel_builder import PackageDef, build_channel
from tests.uv.uvenv_helpers import LocalIndex

from .server_process import ServerProcess


@pytest.fixture(scope="module")
def slow_channel(tmp_path_factory) -> str:
    """`bulk`: enough files that linking takes a while; `small`: a quick keeper."""
    files = {f"share/bulk/d{i // 200}/f{i}.txt": f"file {i}\n" * 40 for i in range(6000)}
    return build_channel(
        tmp_path_factory.mktemp("slow-channel"),
        [PackageDef("bulk", "1.0", files=files), PackageDef("small", "1.0")],
    )


def tree_digest(prefix: Path) -> dict[str, str]:
    """Every file under `prefix` with its sha256: what "unchanged" means here."""
    found = {}
    for path in sorted(prefix.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(prefix))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def wait_task(server: ServerProcess, task_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, task = server.call("GET", f"env-manager/api/tasks/{task_id}")
        assert code == 200, task
        if task["status"] not in ("queued", "running"):
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish")


def engine_case(engine: str, base: Path, slow_channel: str, request) -> tuple[dict, dict, dict]:
    """(server config, extra environment, {keeper body, doomed body}) for `engine`."""
    manager = {
        "envs_dirs": [str(base / "envs")],
        "venvs_dir": str(base / "venvs"),
        "locks_dir": str(base / "locks"),
        "rattler_cache_dir": str(base / "cache"),
        "channels": [slow_channel],
        "offline": True,
    }
    environ: dict[str, str] = {}
    if engine == "rattler":
        manager["default_engine"] = "rattler"
        bodies = {"keeper": {"packages": ["small"]}, "doomed": {"packages": ["bulk"]}}
    elif engine == "uv":
        wheelhouse = request.getfixturevalue("wheelhouse")
        index = LocalIndex(wheelhouse)
        request.addfinalizer(index.close)
        manager.update(default_engine="uv", pypi_index_url=index.url, offline=False)
        # The keeper is made before the index turns slow; the doomed create then waits
        # on the index with its venv half made.
        bodies = {
            "keeper": {"engine": "uv", "pip": ["tiny-pkg==1.2"]},
            "doomed": {"engine": "uv", "pip": ["tiny-pkg==1.3"]},
            "slow_index": index,  # type: ignore[dict-item]
        }
    else:
        conda = request.getfixturevalue("real_conda")
        manager.update(default_engine="conda", conda_executable=str(conda.exe))
        manager["envs_dirs"] = [str(base / "envs")]
        environ = {"PATH": f"{conda.root / 'condabin'}{os.pathsep}{os.environ['PATH']}",
                   "CONDA_PKGS_DIRS": str(base / "conda-pkgs")}  # fmt: skip
        bodies = {"keeper": {"packages": ["small"], "channels": [slow_channel]},
                  "doomed": {"packages": ["bulk"], "channels": [slow_channel]}}  # fmt: skip
    config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_env_manager": True}},
        "EnvManager": manager,
        "EnvManagerApp": {"tasks_db": str(base / "tasks.sqlite"), "warm_search_index": False},
    }
    return config, environ, bodies


@pytest.mark.parametrize("engine", ["rattler", "uv", "conda"])
def test_sigkill_mid_create_then_restart(engine, tmp_path, slow_channel, request):
    config, environ, bodies = engine_case(engine, tmp_path, slow_channel, request)
    server = ServerProcess(tmp_path, config, environ)
    server.start()
    try:
        code, task = server.call("POST", "env-manager/api/environments",
                                 {"name": "keeper", **bodies["keeper"]})  # fmt: skip
        assert code == 202, task
        made = wait_task(server, task["id"])
        assert made["status"] == "succeeded", json.dumps(made)
        code, envs = server.call("GET", "env-manager/api/environments")
        keeper = Path(next(e["prefix"] for e in envs if e["name"] == "keeper"))
        keeper_before = tree_digest(keeper)
        parent = keeper.parent
        siblings = {p.name for p in parent.iterdir()}
        if "slow_index" in bodies:
            bodies["slow_index"].delay = 30.0  # type: ignore[attr-defined]

        code, task = server.call("POST", "env-manager/api/environments",
                                 {"name": "doomed", **bodies["doomed"]})  # fmt: skip
        assert code == 202, task
        deadline = time.monotonic() + 120
        while not ({p.name for p in parent.iterdir()} - siblings):
            assert time.monotonic() < deadline, "the create never wrote anything"
            time.sleep(0.01)
        server.kill()
        assert {p.name for p in parent.iterdir()} - siblings, "nothing half made to test"

        server.start()
        code, after = server.call("GET", f"env-manager/api/tasks/{task['id']}")
        assert after["status"] == "interrupted", after
        code, envs = server.call("GET", "env-manager/api/environments")
        assert [e["name"] for e in envs if not e["is_base"]] == ["keeper"]
        assert {p.name for p in parent.iterdir()} == siblings  # nothing half made is left
        assert "doomed" not in json.dumps(server.kernelspecs())
        assert tree_digest(keeper) == keeper_before
    finally:
        server.stop()
