"""Where a grid's kernels come from, as the CLI's switches choose it.

A notebook records its kernel's parent process as a metric. The CLI runs in this
test process, so its in-process Dask workers launch kernels as children of this
process; forked kernels are children of a template; worker processes are
children of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
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


PROBE_SOCKETS = """import os
from ipykernel.kernelapp import IPKernelApp
app = IPKernelApp.instance()
ipc = int(app.transport == 'ipc')
folder = os.path.dirname(app.ip) if ipc else ''
private = int(bool(folder) and os.stat(folder).st_mode & 0o777 == 0o700)
print(folder)
value = 2 * x"""


@pytest.mark.parametrize(("flags", "ipc"), [([], 1), (["--no-fork-kernels"], 0)])
def test_forked_kernels_listen_on_unix_sockets_only_the_user_reaches(
    make_notebook, tmp_path: Path, short_tmp: Path, flags: list[str], ipc: int
) -> None:
    """Not on localhost TCP ports, which any local user can connect to: in a folder of
    the user's alone, gone with the grid."""
    notebook = make_notebook("x = 0", PROBE_SOCKETS)
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "-p", "x=1,2,3", "--out", str(out), "--json", *flags]
    argv += ["--metric", "value", "--metric", "ipc", "--metric", "private"]
    assert main(argv) == 0
    frame = pd.read_csv(out / "results.csv")
    assert list(frame["value"]) == [2.0, 4.0, 6.0]
    assert set(frame["ipc"]) == {ipc} and set(frame["private"]) == {ipc}
    printed = {
        output["text"].strip()
        for run in frame["output_notebook"]
        for output in nbformat.read(run, as_version=4).cells[-1].outputs
        if output.get("name") == "stdout"
    }
    if ipc:
        (folder,) = printed  # one folder for the grid's kernels
        assert Path(folder).parent == short_tmp and not os.path.exists(folder)
