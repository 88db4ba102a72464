"""Bad grids are refused before any run starts: clear message, exit 1, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_env_manager.cli.main import main


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-p", "nope=1,2"], "Unknown parameter(s) nope: the parameters cell of nb.ipynb declares"),
        (["--grid", "GRIDFILE"], "parameter 'alpha' must be a list of values"),
        (["-p", "alpha=1", "--kernel", "no-such-kernel"], "No kernel named 'no-such-kernel'"),
        (["-p", "alpha=1", "--env", "no-such-env"], "No environment named 'no-such-env'"),
        (["-p", "alpha=1", "--seed", "3"], "declares no 'seed' parameter"),
        (["-p", "alpha=1", "--repeats", "0"], "repeats must be a whole number"),
        (["-p", "alpha=1", "--metric", "bad metric"], "Invalid metric"),
    ],
)
def test_cli_refuses_bad_grids(make_notebook, tmp_path: Path, capsys, extra, message):
    notebook = make_notebook("alpha = 0.5", "print(alpha)")
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("alpha: 0.1\n")
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "--out", str(out)]
    argv += [str(grid_file) if arg == "GRIDFILE" else arg for arg in extra]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_notebook_without_parameters_cell(make_notebook, tmp_path: Path, capsys):
    notebook = make_notebook(None, "alpha = 0.5")
    out = tmp_path / "out"
    assert main(["grid", str(notebook), "-p", "alpha=1,2", "--out", str(out)]) == 1
    assert "has no cell tagged 'parameters'" in capsys.readouterr().err
    assert not out.exists()


def test_resume_without_a_recorded_grid(make_notebook, tmp_path: Path, capsys):
    notebook = make_notebook("alpha = 0.5", "print(alpha)")
    assert main(["grid", str(notebook), "--resume", "--out", str(tmp_path / "none")]) == 1
    assert "No grid to resume" in capsys.readouterr().err
