"""`jupyter env-manager`: the command-line face of the same core the server uses.

argparse rather than a traitlets application: users expect conda's verbs and
flags (`-n NAME`, repeated `-c CHANNEL`, positional package specs), which
traitlets' `--Class.trait=value` syntax cannot express.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__
from .core.info import collect_info


def _print_info(as_json: bool) -> int:
    info = collect_info()
    if as_json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"jupyter-env-manager {info['version']}")
    print("engines:")
    for engine in info["engines"]:  # type: ignore[union-attr]
        if engine["available"]:
            where = f"  ({engine['path']})" if engine["path"] else ""
            print(f"  {engine['name']:<11} {engine['version'] or 'unknown version'}{where}")
        else:
            print(f"  {engine['name']:<11} not found")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter env-manager",
        description="Manage conda environments and virtualenvs for Jupyter.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("info", help="Show the version and the engines found.")
    info.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        return _print_info(args.json)
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
