"""Entry point of `jupyter env-manager`.

argparse rather than a traitlets application: users expect conda's verbs and
flags (`-n NAME`, repeated `-c CHANNEL`, positional package specs), which
traitlets' `--Class.trait=value` syntax cannot express.

Each subcommand module exposes `register(subparsers)`, which adds its parser
and sets `handler` to a function `(args) -> exit code`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.errors import EnvManagerError
from . import envs, grid, info, kernel, notebooks

SUBCOMMAND_MODULES = [info, envs, kernel, grid, notebooks]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter env-manager",
        description="Manage conda environments and virtualenvs for Jupyter.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--debug", action="store_true", help="Show a traceback when something unexpected fails."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except EnvManagerError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `jupyter env-manager search x | head`: the reader left; nothing to report.
        # Point stdout at nothing so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:
        if args.debug:
            raise
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        print("Run again with --debug for the traceback.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
