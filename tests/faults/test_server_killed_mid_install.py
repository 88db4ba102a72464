"""SIGKILL the server while it installs a many-file package into an existing
environment (rattler from a local channel; uv from a local wheelhouse, uv being the
server's child process): after a restart the task is `interrupted`, the environment
holds exactly its old package set or exactly the new one (records and files agree),
a kernel of it starts through REST and runs code over its websocket, and the same
install then goes through."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.rattler.channel_builder import PackageDef, build_channel, build_wheel, python_package

from .server_process import ServerProcess
from .test_server_killed_mid_create import engine_case, tree_digest, wait_task

BULK_FILES = 6000
SHORT = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def python_channel(tmp_path_factory) -> str:
    """A Python (the machine's, in conda clothes), `small`, and 6,000-file `bulk`."""
    files = {f"share/bulk/d{i // 200}/f{i}.txt": f"file {i}\n" * 40 for i in range(BULK_FILES)}
    return build_channel(
        tmp_path_factory.mktemp("python-channel"),
        [python_package(), PackageDef("bulk", "1.0", files=files), PackageDef("small", "1.0")],
    )


def bulky_wheel(directory: Path, files: int) -> Path:
    """A pure-Python wheel of `files` modules under one package, so linking takes a while."""
    dist = "bulky-1.0"
    contents = {f"bulky/m{i // 500}/x{i}.py": f"VALUE = {i}\n" for i in range(files)}
    contents["bulky/__init__.py"] = "VERSION = '1.0'\n"
    contents[f"{dist}.dist-info/METADATA"] = "Metadata-Version: 2.1\nName: bulky\nVersion: 1.0\n"
    contents[f"{dist}.dist-info/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: faults\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    contents[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    target = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as wheel:
        for path, text in contents.items():
            wheel.writestr(path, text)
    return target


@pytest.fixture(scope="module")
def bulky_wheelhouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bulky-wheelhouse")
    build_wheel(folder, "tiny-pkg", "1.2")
    bulky_wheel(folder, BULK_FILES)
    return folder


def kill_when(server: ServerProcess, landed, what: str) -> None:
    deadline = time.monotonic() + 180
    while not landed():
        assert time.monotonic() < deadline, f"the install never wrote {what}"
        time.sleep(0.001)
    server.kill()


def count(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.rglob(pattern)) if folder.exists() else 0


def assert_kernel_runs(server: ServerProcess, prefix: Path) -> None:
    printed = server.run_in_kernel(server.kernel_of(prefix), "import sys; print(sys.prefix)")
    assert printed.strip() == str(prefix)


def test_rattler_env_killed_mid_install_holds_the_old_or_the_new_set(tmp_path, python_channel):
    config, environ, _bodies = engine_case("rattler", tmp_path, python_channel, None)
    server = ServerProcess(tmp_path, config, environ)
    server.start()
    try:
        code, task = server.call("POST", "env-manager/api/environments",
                                 {"name": "target", "packages": ["python", "small"],
                                  "pip": ["ipykernel"]})  # fmt: skip
        assert code == 202, task
        made = wait_task(server, task["id"])
        assert made["status"] == "succeeded", json.dumps(made)
        code, envs = server.call("GET", "env-manager/api/environments")
        prefix = Path(next(e["prefix"] for e in envs if e["name"] == "target"))
        before = tree_digest(prefix)
        bulk = prefix / "share" / "bulk"

        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulk"]})  # fmt: skip
        assert code == 202, task
        kill_when(server, lambda: bulk.exists() and next(bulk.rglob("*.txt"), None), "a file")
        landed = count(bulk, "*.txt")
        assert 0 < landed < BULK_FILES, f"the kill did not land mid-link ({landed} files)"

        server.start()
        code, after_task = server.call("GET", f"env-manager/api/tasks/{task['id']}")
        assert after_task["status"] == "interrupted", after_task
        records = {p.name for p in (prefix / "conda-meta").glob("bulk-*.json")}
        if records:  # the new set: every file of the package is there
            assert count(bulk, "*.txt") == BULK_FILES
        else:  # the old set, to the byte
            assert tree_digest(prefix) == before
        assert_kernel_runs(server, prefix)
        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulk"]})  # fmt: skip
        assert wait_task(server, task["id"])["status"] == "succeeded"
        assert count(bulk, "*.txt") == BULK_FILES
        assert_kernel_runs(server, prefix)
    finally:
        server.stop()


def test_uv_env_killed_mid_install_holds_the_old_or_the_new_set(tmp_path, bulky_wheelhouse):
    """uv links the wheel's files as the server's child: the child dies with the server
    (as in an OOM kill), and the restarted server undoes what it had linked."""
    config, environ, _bodies = engine_case("rattler", tmp_path, "file:///unused", None)
    config["EnvManager"].update(
        default_engine="uv", offline=False, channels=[], find_links=[str(bulky_wheelhouse)]
    )
    server = ServerProcess(tmp_path, config, environ)
    server.start()
    try:
        code, task = server.call("POST", "env-manager/api/environments",
                                 {"name": "target", "engine": "uv",
                                  "pip": ["ipykernel", "tiny-pkg==1.2"]})  # fmt: skip
        assert code == 202, task
        made = wait_task(server, task["id"])
        assert made["status"] == "succeeded", json.dumps(made)
        code, envs = server.call("GET", "env-manager/api/environments")
        prefix = Path(next(e["prefix"] for e in envs if e["name"] == "target"))
        site = prefix / "lib" / f"python{SHORT}" / "site-packages"
        before = tree_digest(prefix)
        bulky = site / "bulky"

        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulky"]})  # fmt: skip
        assert code == 202, task
        kill_when(server, lambda: bulky.exists() and next(bulky.rglob("*.py"), None), "a file")
        time.sleep(0.5)  # uv, had it outlived the server, would now have written more
        landed = count(bulky, "*.py")
        assert not list(site.glob("bulky-*.dist-info")), f"uv finished ({landed} files)"

        server.start()
        code, after_task = server.call("GET", f"env-manager/api/tasks/{task['id']}")
        assert after_task["status"] == "interrupted", after_task
        if list(site.glob("bulky-*.dist-info")):  # the new set
            assert count(bulky, "*.py") == BULK_FILES + 1
        else:  # the old set, to the byte
            assert tree_digest(prefix) == before
        assert_kernel_runs(server, prefix)
        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulky"]})  # fmt: skip
        assert wait_task(server, task["id"])["status"] == "succeeded"
        assert count(bulky, "*.py") == BULK_FILES + 1
        assert_kernel_runs(server, prefix)
    finally:
        server.stop()


def test_conda_env_killed_mid_install_with_conda_holds_the_old_set(
    tmp_path, python_channel, real_conda, request
):
    """The real conda, killed together with the server while it links (conda itself
    then refuses such a prefix: CorruptedEnvironmentError): the restarted server puts
    the env back as it was, conda reads it again, and the install then goes through."""
    import subprocess

    config, environ, _bodies = engine_case("conda", tmp_path, python_channel, request)
    server = ServerProcess(tmp_path, config, environ)
    server.start()
    try:
        code, task = server.call("POST", "env-manager/api/environments",
                                 {"name": "target", "packages": ["small"],
                                  "channels": [python_channel]})  # fmt: skip
        assert code == 202, task
        made = wait_task(server, task["id"])
        assert made["status"] == "succeeded", json.dumps(made)
        prefix = tmp_path / "envs" / "target"
        before = tree_digest(prefix)
        bulk = prefix / "share" / "bulk"

        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulk"],
                                  "channels": [python_channel]})  # fmt: skip
        assert code == 202, task
        deadline = time.monotonic() + 180
        while not (bulk.exists() and next(bulk.rglob("*.txt"), None)):
            assert time.monotonic() < deadline, "conda never linked a file"
            time.sleep(0.001)
        killed = server.kill_tree()
        landed = count(bulk, "*.txt")
        assert killed and 0 < landed < BULK_FILES, (killed, landed)

        server.start()
        code, after_task = server.call("GET", f"env-manager/api/tasks/{task['id']}")
        assert after_task["status"] == "interrupted", after_task
        assert tree_digest(prefix) == before
        listing = subprocess.run(
            [str(real_conda.exe), "list", "--prefix", str(prefix), "--json"],
            env=server.environ(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert listing.returncode == 0, listing.stderr
        assert sorted(p["name"] for p in json.loads(listing.stdout)) == ["small"]
        code, task = server.call("POST", "env-manager/api/environments/target/packages",
                                 {"action": "install", "packages": ["bulk"],
                                  "channels": [python_channel]})  # fmt: skip
        assert wait_task(server, task["id"])["status"] == "succeeded"
        assert count(bulk, "*.txt") == BULK_FILES
    finally:
        server.stop()
