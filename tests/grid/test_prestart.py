"""A CLI grid starts its first kernel before planning; that kernel runs a grid point.

The CLI runs in this test process, so its kernel pool is this process's.
"""

from __future__ import annotations

import json
import sys

import psutil
import pytest

from jupyter_env_manager.cli.main import main
from jupyter_env_manager.grid import worker
from jupyter_env_manager.kernels import templates


def test_the_kernel_started_before_the_plan_runs_a_grid_point(make_notebook, tmp_path, capsys):
    notebook = make_notebook("x = 0", "import os\npid = os.getpid()")
    pool = worker.runtime().pool
    before = pool.started_count
    argv = ["grid", str(notebook), "-p", "x=1,2,3", "--metric", "pid", "--workers", "2"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["ok"] == 3
    # Three points, three kernels: the early one was not a kernel beside the grid's.
    assert pool.started_count - before == 3


def test_the_cli_spawns_the_template_its_kernels_are_forked_from(
    make_notebook, tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
):
    """The CLI guesses the python3 kernel's template before importing the kernel pool;
    a guess the pool did not take would leave a second template and the first idle."""
    templates.close_templates()
    spawned_by: list[str] = []
    spawn = templates.KernelTemplate.__init__

    def recording_spawn(self, *args, **kwargs):
        spawned_by.append(sys._getframe(1).f_code.co_name)
        spawn(self, *args, **kwargs)
        pids.append(self._process.pid)

    pids: list[int] = []
    monkeypatch.setattr(templates.KernelTemplate, "__init__", recording_spawn)
    notebook = make_notebook("x = 0", "import os\nparent = os.getppid()")
    argv = ["grid", str(notebook), "-p", "x=1,2", "--metric", "parent", "--workers", "2"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["ok"] == 2
    assert spawned_by == ["spawn_template"]
    rows = (tmp_path / "out" / "results.csv").read_text().splitlines()
    column = rows[0].split(",").index("parent")
    assert {int(float(row.split(",")[column])) for row in rows[1:]} == set(pids)


def test_a_refused_grid_closes_its_early_kernel_and_template(make_notebook, tmp_path, capsys):
    notebook = make_notebook("x = 0", "y = x")
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "-p", "x=1", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    children = {p.pid for p in psutil.Process().children(recursive=True)}
    pool = worker.runtime().pool
    before = pool.started_count
    # Refused by the plan's checks (the folder already holds a grid), after the early
    # kernel was asked for.
    assert main(argv) != 0
    assert "already holds a grid" in capsys.readouterr().err
    assert pool.started_count - before == 1  # it did start, and was closed
    assert not templates._templates
    left = {p.pid for p in psutil.Process().children(recursive=True)} - children
    assert not [p for p in left if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
