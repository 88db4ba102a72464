"""The environment lifecycle as installed: the wheel in a fresh venv, `jupyter lab`
with its own HOME and no configuration. A venv changed from the CLI is rolled back
over REST after a preview (identical freeze); the disk report lists it, and a
clean-up preview answers; a removal takes its history with it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jupyter_env_manager.core.info import uv_binary

from .client import API, Api
from .conftest import start_lab
from .wheel_venv import LabServer

# This module's own server (the lifecycle helper's port range).
LIFECYCLE_PORT = 19500


@pytest.fixture(scope="module")
def lifecycle_lab(installed_venv: Path, installed_root: Path):
    server = start_lab(installed_venv, installed_root / "lifecycle", LIFECYCLE_PORT)
    yield server
    server.stop()


def cli(lab: LabServer, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(lab.venv / "bin" / "jupyter"), "env-manager", *args],
        env=lab.environ(), cwd=lab.root_dir, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def freeze(prefix: str) -> str:
    done = subprocess.run(
        [uv_binary(), "pip", "freeze", "--python", f"{prefix}/bin/python"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_rollback_disk_and_removal_as_installed(lifecycle_lab: LabServer):
    api = Api(lifecycle_lab)
    name = "as-installed-history"
    made = cli(lifecycle_lab, "create", "-n", name, "--engine", "uv", "six==1.16.0")
    assert made.returncode == 0, made.stderr[-2000:]
    prefix = api.ok("GET", API, "environments", name)["prefix"]
    frozen = freeze(prefix)
    changed = cli(lifecycle_lab, "install", "-n", name, "six==1.17.0", "-y")
    assert changed.returncode == 0, changed.stderr[-2000:]

    history = api.ok("GET", API, "environments", name, "history")["revisions"]
    assert [r["request"] for r in history] == ["create", "install six==1.17.0"]
    plan = api.ok("POST", API, "environments", name, "rollback",
                  body={"revision": 0, "dry_run": True})  # fmt: skip
    assert [(c["name"], c["action"]) for c in plan["changes"]] == [("six", "downgrade")]
    assert "six==1.17.0" in freeze(prefix)
    api.succeeded(
        api.ok("POST", API, "environments", name, "rollback", body={"revision": 0}, status=202)
    )
    assert freeze(prefix) == frozen

    report = api.ok("GET", API, "disk")
    row = next(e for e in report["environments"] if e["name"] == name)
    assert row["size_bytes"] > 0 and row["prefix"] == prefix
    assert {c["kind"] for c in report["caches"]} >= {"rattler", "uv"}
    preview = api.ok("POST", API, "disk", "clean", body={"dry_run": True})
    assert preview["dry_run"] is True and preview["freed_bytes"] == 0

    api.succeeded(api.ok("DELETE", API, "environments", name, status=202))
    assert not Path(prefix).exists()
    code, _ = api.call("GET", API, "environments", name, "history")
    assert code == 404
