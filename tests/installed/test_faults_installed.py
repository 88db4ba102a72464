"""A change cut short, as installed: the wheel in a fresh venv, `jupyter lab` with its own
HOME and no configuration. `jupyter env-manager install` in a terminal is killed
(SIGKILL, as the OOM killer or a closed session would) while uv links a package; the
panel's listing says the environment needs repair, the next operation over REST puts
it back to its old packages (identical freeze, nothing of the half-linked package
left), and its kernel still runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .client import API, Api, kernels_of, sys_prefix_of_kernel
from .conftest import start_lab
from .test_lifecycle_installed import cli, freeze
from .wheel_venv import LabServer

# This module's own server (the fault helper's port range).
FAULTS_PORT = 19100
SHORT = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def faults_lab(installed_venv: Path, installed_root: Path):
    server = start_lab(installed_venv, installed_root / "faults", FAULTS_PORT)
    yield server
    server.stop()


def test_a_cli_killed_mid_install_is_flagged_and_undone_by_the_next_operation(
    faults_lab: LabServer,
):
    api = Api(faults_lab)
    name = "as-installed-cut-short"
    made = cli(faults_lab, "create", "-n", name, "--engine", "uv", "ipykernel", "six==1.16.0")
    assert made.returncode == 0, made.stderr[-2000:]
    env = api.ok("GET", API, "environments", name)
    assert env["needs_repair"] is False
    prefix = Path(env["prefix"])
    frozen = freeze(str(prefix))
    sympy = prefix / "lib" / f"python{SHORT}" / "site-packages" / "sympy"

    # sympy: about a thousand files, so the kill lands while uv links them.
    installing = subprocess.Popen(
        [str(faults_lab.venv / "bin" / "jupyter"), "env-manager", "install", "-n", name,
         "sympy", "-y"],
        env=faults_lab.environ(), cwd=faults_lab.root_dir, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not (sympy.is_dir() and next(sympy.rglob("*.py"), None)):
        assert installing.poll() is None, "the install ended before it was killed"
        assert time.monotonic() < deadline, "uv never linked sympy"
        time.sleep(0.005)
    installing.send_signal(signal.SIGKILL)
    installing.wait(30)
    assert sympy.is_dir()  # some of sympy is there; whether uv got further does not matter

    env = api.ok("GET", API, "environments", name)
    assert env["needs_repair"] is True
    # Any operation repairs first; a preview changes nothing else.
    preview = {"action": "install", "packages": ["six==1.17.0"], "dry_run": True}
    plan = api.ok("POST", API, "environments", name, "packages", body=preview)
    assert [(c["name"], c["action"]) for c in plan["changes"]] == [("six", "update")]
    assert api.ok("GET", API, "environments", name)["needs_repair"] is False
    assert freeze(str(prefix)) == frozen
    assert not sympy.exists()
    [kernel] = kernels_of(api.kernelspecs(), str(prefix))
    assert sys_prefix_of_kernel(api, kernel) == str(prefix)
