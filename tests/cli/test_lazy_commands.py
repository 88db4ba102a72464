"""The CLI loads only the module of the command typed: every command must still be
found, with the same options, and `--help` must still list every command."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

cli_main = importlib.import_module("jupyter_env_manager.cli.main")

JUPYTER = str(Path(sys.executable).with_name("jupyter"))


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
    env = {"HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"


def test_the_cli_process_skips_only_the_iri_grammar_and_still_validates_notebooks(tmp_path):
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
        "print('grammar', sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    env = {"HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-2:] == ["still validates", "grammar None"]
