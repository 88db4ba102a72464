"""`jupyter env-manager kernel list|register|unregister|clean|add`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidRequest
from ..core.models import Environment
from .config import load_config, make_manager
from .progress import ProgressPrinter

if TYPE_CHECKING:
    from ..kernels.spec_manager import EnvKernelSpecManager

# The kernels package pulls in jupyter_client (zmq, ~150 ms); other commands skip that.


def _destination_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="Your Jupyter data dir (the default).")
    where.add_argument(
        "--sys-prefix", action="store_true", help="This Python's prefix (share/jupyter/kernels)."
    )
    where.add_argument("--prefix", metavar="DIR", help="DIR/share/jupyter/kernels.")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "kernel", help="Environment kernels: list, register as kernelspec files, add ipykernel."
    )
    verbs = parser.add_subparsers(dest="kernel_command", metavar="VERB")
    parser.set_defaults(handler=lambda args: _usage(parser))

    listing = verbs.add_parser("list", help="List the kernels of every environment.")
    listing.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    listing.set_defaults(handler=cmd_list)

    reg = verbs.add_parser(
        "register",
        help="Write kernelspec files for an environment, for papermill, nbconvert and others.",
    )
    reg.add_argument("name", metavar="NAME", help="Environment name or prefix.")
    _destination_args(reg)
    reg.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    reg.set_defaults(handler=cmd_register)

    unreg = verbs.add_parser(
        "unregister", help="Remove kernelspec files written by `kernel register`."
    )
    unreg.add_argument("name", metavar="NAME", help="Environment name, prefix or kernel name.")
    _destination_args(unreg)
    unreg.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    unreg.set_defaults(handler=cmd_unregister)

    clean = verbs.add_parser(
        "clean", help="Remove registered kernelspecs of environments that no longer exist."
    )
    clean.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    clean.set_defaults(handler=cmd_clean)

    add = verbs.add_parser("add", help="Install ipykernel into an environment that lacks it.")
    add.add_argument("name", metavar="NAME", help="Environment name or prefix.")
    add.add_argument(
        "--pypi",
        action="store_true",
        help="For a conda env, install the PyPI wheel with uv instead of the conda package.",
    )
    add.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    add.set_defaults(handler=cmd_add)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _spec_manager() -> EnvKernelSpecManager:
    from ..kernels.spec_manager import EnvKernelSpecManager

    return EnvKernelSpecManager(config=load_config())


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _where(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "user": not args.sys_prefix and args.prefix is None,
        "sys_prefix": bool(args.sys_prefix),
        "prefix": args.prefix,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from ..kernels import registration

    kernels = sorted(_spec_manager().env_kernels().values(), key=lambda k: k.name.lower())
    registered = {r.name.lower() for r in registration.list_registered()}
    data = [{**k.to_json(), "registered": k.name.lower() in registered} for k in kernels]
    rows = [f"{'kernel':<40} {'environment':<20} display name"]
    for item in data:
        mark = "  (registered)" if item["registered"] else ""
        rows.append(f"{item['name']:<40} {item['environment']:<20} {item['display_name']}{mark}")
    if not kernels:
        rows.append("(no environment has a kernel; add one with `kernel add NAME`)")
    _emit(args, data, "\n".join(rows))
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    from ..kernels import registration

    env = make_manager().get(args.name)
    kernels = _spec_manager().kernels_for(env)
    if not kernels:
        raise InvalidRequest(
            f"Environment {env.name!r} has no kernel; run `jupyter env-manager kernel add "
            f"{args.name}` first."
        )
    written = registration.register(kernels, **_where(args))
    lines = [f"Registered {r.name} ({r.display_name}) in {r.path}" for r in written]
    _emit(args, [r.to_json() for r in written], "\n".join(lines))
    return 0


def cmd_unregister(args: argparse.Namespace) -> int:
    from ..kernels import registration

    removed = registration.unregister(args.name, **_where(args))
    lines = [f"Removed {r.name} from {r.path.parent}" for r in removed]
    _emit(args, [r.to_json() for r in removed], "\n".join(lines))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from ..kernels import registration

    removed = registration.clean_stale()
    lines = [f"Removed {r.name} (environment {r.env_prefix} is gone)" for r in removed]
    _emit(args, [r.to_json() for r in removed], "\n".join(lines) or "Nothing stale.")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from ..kernels.add_kernel import add_kernel

    manager = make_manager()
    env = manager.get(args.name)
    printer = ProgressPrinter(interactive=None if not args.json else False)

    async def conda_install(target: Environment, specs: list[str]) -> object:
        return await manager.install(target.name, specs, progress=printer)

    install = None if args.pypi or env.kind != "conda" else conda_install
    try:
        updated = asyncio.run(add_kernel(env, install=install, progress=printer))
    finally:
        printer.close()
    _emit(args, updated.to_json(), f"{updated.name} now has ipykernel.")
    return 0
