"""A user's first hour, against the wheel as installed: no config of theirs, no test config.

Environments with ipykernel become kernels in /api/kernelspecs, and an open JupyterLab
is told so by an event, once they are made (by the UI's REST call or by the CLI in
another terminal), and stop being kernels once removed; their kernels run inside them;
a grid search "in" one finishes there.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.grid.conftest import write_notebook

from .client import (
    API,
    KERNEL_LISTING_SECONDS,
    Api,
    EventStream,
    create_over_rest,
    kernel_listed,
    kernel_unlisted,
    remove_over_rest,
    sys_prefix_of_kernel,
)
from .wheel_venv import LabServer

# The first test to need the venv pays for building and installing it in its setup.
pytestmark = pytest.mark.timeout(600)


def grid_finished(api: Api, grid_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        grid = api.ok("GET", API, "grids", grid_id)
        if not grid["active"] and grid["state"] in ("finished", "cancelled", "failed"):
            return grid
        time.sleep(0.3)
    raise AssertionError(f"grid {grid_id} did not finish in {timeout} s")


def test_info_says_environment_kernels_come_from_the_spec_manager(api: Api):
    kernels = api.info()["kernels"]
    assert kernels["env_kernels"] == "spec-manager", kernels
    assert kernels["spec_manager"].endswith("EnvKernelSpecManager"), kernels


def test_environment_made_in_the_ui_is_a_kernel_runs_a_grid_and_goes(api: Api, lab: LabServer):
    env = create_over_rest(api, "as-installed-ui")
    prefix = env["prefix"]
    assert Path(prefix).is_relative_to(lab.home), prefix  # in the user's home, by default

    kernel = kernel_listed(api, prefix)
    assert os.path.samefile(sys_prefix_of_kernel(api, kernel), prefix)

    # A grid search "in" the environment: every run executes with its Python.
    write_notebook(
        lab.root_dir / "square.ipynb", "x = 1",
        f"import os, sys\ny = x * x\nin_env = int(os.path.samefile(sys.prefix, {prefix!r}))",
    )  # fmt: skip
    started = api.ok(
        "POST", API, "grids",
        body={"notebook": "square.ipynb", "grid": {"x": [2, 3]}, "env": env["name"],
              "metrics": ["y", "in_env"]},
        status=202,
    )  # fmt: skip
    grid = grid_finished(api, started["grid_id"])
    assert grid["state"] == "finished", grid
    rows = sorted(grid["results"], key=lambda row: row["param_x"])
    assert [(r["param_x"], r["y"], r["in_env"], r["status"]) for r in rows] == [
        (2, 4, 1, "ok"),
        (3, 9, 1, "ok"),
    ], rows

    remove_over_rest(api, env["name"])
    assert not Path(prefix).exists()
    kernel_unlisted(api, prefix)


def jupyter_cli(lab: LabServer, *args: str) -> subprocess.CompletedProcess:
    """`jupyter env-manager ...` typed in another terminal of the same user."""
    return subprocess.run(
        [str(lab.venv / "bin" / "jupyter"), "env-manager", *args],
        env=lab.environ(), cwd=lab.root_dir, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_environment_made_by_the_cli_in_another_terminal(api: Api, lab: LabServer):
    name = "as-installed-cli"
    with EventStream(lab) as events:
        made = jupyter_cli(lab, "create", "-n", name, "--engine", "uv", "ipykernel")
        assert made.returncode == 0, made.stderr[-2000:]
        prefix = api.ok("GET", API, "environments", name)["prefix"]
        kernel = kernel_listed(api, prefix)
        # What tells an open JupyterLab to show the new kernel without a reload.
        events.next_change("kernels", within=KERNEL_LISTING_SECONDS)
        assert os.path.samefile(sys_prefix_of_kernel(api, kernel), prefix)

        events.forget()
        gone = jupyter_cli(lab, "remove", "-n", name, "-y")
        assert gone.returncode == 0, gone.stderr[-2000:]
        assert not Path(prefix).exists()
        kernel_unlisted(api, prefix)
        events.next_change("kernels", within=KERNEL_LISTING_SECONDS)
