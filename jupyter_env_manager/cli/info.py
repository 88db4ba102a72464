"""`jupyter env-manager info`."""

from __future__ import annotations

import argparse
import json

from ..core.info import collect_info
from .config import make_manager


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("info", help="Show the version and the engines found.")
    parser.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manager = make_manager()
    info = collect_info(manager.conda_executable or None)
    info["default_engine"] = manager.default_engine_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"jupyter-env-manager {info['version']}")
    default = info["default_engine"]
    print(f"default engine: {default['resolved'] or 'none available'} ({default['configured']})")
    print("engines:")
    for engine in info["engines"]:  # type: ignore[union-attr]
        if engine["available"]:
            where = f"  ({engine['path']})" if engine["path"] else ""
            print(f"  {engine['name']:<11} {engine['version'] or 'unknown version'}{where}")
        else:
            print(f"  {engine['name']:<11} not found")
    conda = info.get("conda")
    if conda:
        print(f"conda in use: {conda['path']} {conda['version'] or ''} (solver: "  # type: ignore[index]
              f"{conda['solver'] or 'unknown'}, base: {conda['root_prefix'] or 'unknown'})")  # type: ignore[index]  # fmt: skip
    return 0
