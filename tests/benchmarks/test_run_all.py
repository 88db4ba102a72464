"""benchmarks/run_all.py in its smallest mode: every bench still runs against the
current code and reports a row for each goal (figures are not checked: timing
belongs to the benchmarks, not to tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


def test_run_all_smoke_runs_every_bench_and_prints_one_row_per_goal():
    done = subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--markdown"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "parallel ceiling: two CPU-bound processes" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][2:]
    measured = [row.split(" | ")[0].lstrip("| ") for row in rows]
    for goal in (
        "/api/kernelspecs",  # warm
        "first call after a change",
        "listing 50 environments",
        "`jupyter env-manager list`",
        "`jupyter-env-manager list`",
        "grid marginal cost per run",
        "grid fixed cost from the CLI",
        "near-empty 2-point grid",
        "CPU-bound 2-point grid",
        "grid fixed cost from the server",
        "server RSS growth",
        "reproduce a rattler env from its lock",
        "provision a grid worker from the lock",
    ):
        assert any(goal in m for m in measured), (goal, measured)
    # Every row has all seven columns and a yes/no verdict.
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7 and cells[-1] in ("yes", "no"), row
