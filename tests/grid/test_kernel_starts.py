"""Where a grid's kernels come from, as the CLI's switches choose it.

A notebook records its kernel's parent process as a metric. The CLI runs in this
test process, so its in-process Dask workers launch kernels as children of this
process; forked kernels are children of a template; worker processes are
children of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from jupyter_env_manager.cli.main import main


@pytest.mark.parametrize(
    ("flags", "launched_here"),
    [
        ([], False),  # forked from a template
        (["--no-fork-kernels"], True),
        (["--no-fork-kernels", "--worker-processes"], False),
    ],
)
def test_kernel_origin_follows_the_cli_switches(
    make_notebook, tmp_path: Path, flags: list[str], launched_here: bool
) -> None:
    notebook = make_notebook("x = 0", "import os\nparent = os.getppid()\nvalue = 2 * x")
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "-p", "x=1,2,3", "--metric", "value", "--metric", "parent"]
    argv += ["--workers", "2", "--out", str(out), "--json", *flags]
    assert main(argv) == 0
    frame = pd.read_csv(out / "results.csv")
    assert list(frame["value"]) == [2.0, 4.0, 6.0]
    parents = set(frame["parent"])
    if launched_here:
        assert parents == {os.getpid()}
    else:
        assert os.getpid() not in parents
