"""`jupyter env-manager list`: apart from the other environment verbs because it is
typed often and costs mostly start-up. It lists what `EnvManager.list()` lists; when
no config file configures the manager (the usual case), it lists with the manager's
defaults directly, without importing traitlets, the engines or asyncio."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.models import Environment


def _environments(with_sizes: bool) -> list[Environment]:
    from .config import manager_configured

    if manager_configured():
        from .config import make_manager

        return make_manager().list(with_sizes=with_sizes)
    from jupyter_core.paths import jupyter_runtime_dir

    from ..core import listing
    from ..core.discovery import DEFAULT_VENVS_DIR
    from ..core.locks import LOCKS_SUBDIR, EnvironmentLocks

    # EnvManager's trait defaults: venvs_dir, conda_executable, envs_dirs, locks_dir
    # and protected_environments (tests/cli/test_list_cli.py lists both ways).
    where = listing.locations(str(DEFAULT_VENVS_DIR), "", [])
    locks = EnvironmentLocks(Path(jupyter_runtime_dir()) / LOCKS_SUBDIR)
    return listing.usable(where, locks, [], with_sizes=with_sizes)


def cmd_list(args: argparse.Namespace) -> int:
    envs = _environments(args.sizes)
    if args.json:
        print(json.dumps([env.to_json() for env in envs], indent=2))
        return 0
    rows = [f"{'name':<24} {'kind':<6} {'engine':<10} {'python':<8} kernel  prefix"]
    for env in envs:
        kernel = "yes" if env.has_ipykernel else "no"
        rows.append(
            f"{env.name:<24} {env.kind:<6} {env.engine:<10} {env.python_version or '-':<8} "
            f"{kernel:<7} {env.prefix}"
        )
    print("\n".join(rows))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("list", help="List environments.")
    p.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    p.add_argument("--sizes", action="store_true", help="Include sizes on disk (slower).")
    p.set_defaults(handler=cmd_list)
