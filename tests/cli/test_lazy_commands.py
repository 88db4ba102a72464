"""The CLI loads only the module of the command typed: every command must still be
found, with the same options, and `--help` must still list every command."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

cli_main = importlib.import_module("jupyter_env_manager.cli.main")

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


def _probe(code: str, home: Path) -> list[str]:
    """What `code` printed in a clean interpreter with an empty HOME (it must succeed)."""
    env = {"HOME": str(home), "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=home
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_command_is_mapped_to_the_module_that_registers_it():
    everything = _commands(cli_main.build_parser())
    assert set(everything) == set(cli_main.COMMAND_MODULES)
    for name, full in everything.items():
        alone = _commands(cli_main.build_parser([name]))
        assert name in alone, name
        # The lone module gives the command the same help and options.
        assert alone[name].format_help() == full.format_help(), name


def test_help_and_unknown_commands_still_see_every_command():
    for argv in (["--help"], [], ["no-such-command"]):
        assert set(_commands(cli_main.build_parser(argv))) == set(cli_main.COMMAND_MODULES)
    done = subprocess.run([JUPYTER, "env-manager", "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in cli_main.COMMAND_MODULES:
        assert name in done.stdout, name
    bad = subprocess.run([JUPYTER, "env-manager", "lst"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_list_does_not_load_the_grid_or_notebook_machinery(tmp_path):
    # A user's `list` in a clean interpreter: what it imported is what it paid for.
    probe = (
        "import sys\n"
        "sys.argv = ['jupyter-env-manager', 'list', '--json']\n"
        "from jupyter_env_manager.cli import main\n"
        "code = main()\n"
        "loaded = [m for m in sys.modules if m.startswith(('jupyter_env_manager.grid', "
        "'jupyter_env_manager.notebooks', 'nbformat', 'distributed', 'dask'))]\n"
        "print(code, loaded)\n"
    )
    assert _probe(probe, tmp_path)[-1] == "0 []"


def test_the_cli_process_skips_only_format_checkers_and_still_validates_notebooks(tmp_path):
    probe = (
        "import sys\n"
        "from jupyter_env_manager.cli import main\n"
        "main(['info', '--json'])\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['outputs'] = 'not a list'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('still validates')\n"
        "from jupyter_env_manager.cli.main import FORMAT_CHECKER_MODULES as skipped\n"
        "print('skipped', [sys.modules.get(m, 'absent') for m in skipped])\n"
        "print('loaded', [m for m in ('jsonschema', 'idna', 'jsonpointer') if m in sys.modules])\n"
    )
    lines = _probe(probe, tmp_path)[-3:]
    assert lines[0] == "still validates"
    assert lines[1] == f"skipped {[None] * len(cli_main.FORMAT_CHECKER_MODULES)}"
    assert lines[2] == "loaded ['jsonschema', 'idna', 'jsonpointer']"


def test_a_grid_runs_and_writes_its_tables_without_importing_numpy_pandas_or_pyarrow(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 0",
         "outputs": [], "execution_count": None, "id": "p"},
        {"cell_type": "code", "metadata": {}, "source": "y = x * 2", "outputs": [],
         "execution_count": None, "id": "w"},
    ]  # fmt: skip
    notebook.write_text(json.dumps({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                    "display_name": "Python 3"}},
    }))  # fmt: skip
    probe = (
        "import sys\n"
        "from jupyter_env_manager.cli import main\n"
        f"code = main(['grid', {str(notebook)!r}, '-p', 'x=1,2', '--metric', 'y', "
        f"'--workers', '1', '--out', {str(tmp_path / 'out')!r}])\n"
        "print(code, [m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules])\n"
    )
    printed = _probe(probe, tmp_path)
    assert printed[-1] == "0 []"
    assert "best (y, max): 4.0 with x=2" in printed
    # What it wrote is what pandas reads.
    import pandas as pd

    frame = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert list(frame["y"]) == [2.0, 4.0] and list(frame["rank_y"]) == [2, 1]
    assert list(pd.read_csv(tmp_path / "out" / "results.csv")["param_x"]) == [1, 2]
