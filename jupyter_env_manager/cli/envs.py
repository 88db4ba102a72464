"""Environment and package verbs, named and flagged like conda's (`list` is in listing.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ..core.errors import InvalidRequest
from ..core.manager import ENGINE_CHOICES, EnvManager
from ..core.models import EXPORT_FORMATS, ChangePlan, EnvSpec, Package
from ..core.specfiles import MAX_SPEC_BYTES
from .config import make_manager
from .progress import ProgressPrinter

T = TypeVar("T")


def _run(
    args: argparse.Namespace, work: Callable[[EnvManager, ProgressPrinter], Awaitable[T]]
) -> T:
    printer = ProgressPrinter(interactive=None if not args.json else False)
    if args.json:
        printer.stream = sys.stderr  # keep stdout parseable
    try:
        return asyncio.run(work(make_manager(), printer))
    finally:
        printer.close()


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _confirm(args: argparse.Namespace, question: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise InvalidRequest(f"{question} Refusing without a terminal to ask; pass -y/--yes.")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in {"y", "yes"}


def _plan_text(plan: ChangePlan) -> str:
    if not plan.changes:
        return "Nothing to change."
    lines = []
    for change in plan.changes:
        versions = " -> ".join(v for v in (change.old_version, change.new_version) if v)
        lines.append(f"  {change.action:<10} {change.name:<30} {versions}  ({change.source})")
    return "\n".join(lines)


def _packages_text(packages: list[Package]) -> str:
    rows = [f"{'name':<30} {'version':<16} {'build':<20} source"]
    for p in packages:
        origin = p.channel or p.source
        rows.append(f"{p.name:<30} {p.version:<16} {(p.build or ''):<20} {origin}")
    return "\n".join(rows)


def _read_spec_file(path: str) -> tuple[str, bytes]:
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise InvalidRequest(f"Cannot read {path}: {error.strerror}.") from None
    if size > MAX_SPEC_BYTES:
        raise InvalidRequest(f"{path} is larger than {MAX_SPEC_BYTES // 1024} KiB.")
    return file.name, file.read_bytes()


# -- commands ------------------------------------------------------------------


def cmd_create(args: argparse.Namespace) -> int:
    async def work(manager: EnvManager, progress: ProgressPrinter):
        if args.file:
            filename, content = _read_spec_file(args.file)
            if args.specs or args.pip or args.python:
                raise InvalidRequest("Give either -f/--file or package specs, not both.")
            return await manager.create_from_file(
                filename, content, name=args.name, engine=args.engine, progress=progress
            )
        if not args.name:
            raise InvalidRequest("Name the new environment with -n/--name.")
        spec = EnvSpec(
            name=args.name,
            python=args.python,
            conda=list(args.specs),
            pip=list(args.pip),
            channels=list(args.channel),
        )
        engine = args.engine
        if engine is None and not spec.conda and spec.pip:
            engine = "uv"
        return await manager.create(args.name, spec, engine=engine, progress=progress)

    env = _run(args, work)
    _emit(args, env.to_json(), f"Created {env.name} at {env.prefix}")
    return 0


def cmd_clone(args: argparse.Namespace) -> int:
    env = _run(args, lambda m, p: m.clone(args.source, args.name, progress=p))
    _emit(args, env.to_json(), f"Cloned {args.source} into {env.name} at {env.prefix}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    manager = make_manager()
    env = manager.get(args.name)
    if not _confirm(args, f"Remove {env.name} and delete {env.prefix}?"):
        print("Cancelled; nothing removed.", file=sys.stderr)
        return 1
    _run(args, lambda m, p: m.remove(args.name, progress=p))
    _emit(args, {"removed": env.name, "prefix": str(env.prefix)}, f"Removed {env.name}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    text = _run(args, lambda m, p: m.export(args.name, args.format))
    if args.output:
        Path(args.output).write_text(text)
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_packages(args: argparse.Namespace) -> int:
    packages = _run(args, lambda m, p: m.packages(args.name))
    _emit(args, [p.to_json() for p in packages], _packages_text(packages))
    return 0


def _change(args: argparse.Namespace, operate: Callable[..., Awaitable[ChangePlan]]) -> int:
    """Preview, confirm, then apply: what conda users expect from install/update/remove."""
    plan = _run(args, lambda m, p: operate(m, dry_run=True, progress=p))
    if args.dry_run or not plan.changes:
        _emit(args, plan.to_json(), _plan_text(plan))
        return 0
    if not args.json:
        print(_plan_text(plan))
    if not _confirm(args, "Proceed?"):
        print("Cancelled; nothing changed.", file=sys.stderr)
        return 1
    done = _run(args, lambda m, p: operate(m, dry_run=False, progress=p))
    _emit(args, done.to_json(), "Done.")
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    return _change(
        args,
        lambda m, **kw: m.install(
            args.name, list(args.specs), pip=list(args.pip), channels=args.channel or None, **kw
        ),
    )


def cmd_update(args: argparse.Namespace) -> int:
    if not args.specs and not args.all:
        raise InvalidRequest("Name packages to update, or pass --all.")
    return _change(
        args,
        lambda m, **kw: m.update(
            args.name, list(args.specs) or None, channels=args.channel or None, **kw
        ),
    )


def cmd_uninstall(args: argparse.Namespace) -> int:
    return _change(args, lambda m, **kw: m.uninstall(args.name, list(args.specs), **kw))


def cmd_search(args: argparse.Namespace) -> int:
    kind = "venv" if args.pypi else "conda"

    async def work(manager: EnvManager, progress: ProgressPrinter) -> list[Package]:
        # A one-shot process has no later request to serve from the cache: wait.
        manager.search_cache.first_wait = None
        return await manager.search(args.query, kind=kind, channels=args.channel or None)

    found = _run(args, work)
    rows = [f"{p.name:<30} {p.version:<16} {p.channel or p.source}" for p in found]
    _emit(args, [p.to_json() for p in found], "\n".join(rows) or "No packages found.")
    # Imported here: rattler's import would slow every other command's start.
    from ..core.engines.pypi_index import MAX_INDEX_RESULTS
    from ..core.engines.rattler_repodata import MAX_SEARCH_NAMES

    limit = MAX_INDEX_RESULTS if args.pypi else MAX_SEARCH_NAMES
    if not args.json and len({p.name for p in found}) >= limit:
        # Indexes carry no popularity: a short query's best-known match may be past the cut.
        print(
            f"Showing the best {limit} names; type more of the name to see others.",
            file=sys.stderr,
        )
    return 0


# -- parsers -------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, name: bool = True, yes: bool = False) -> None:
    parser.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    if name:
        parser.add_argument("-n", "--name", required=True, help="Environment name or prefix.")
    if yes:
        parser.add_argument("-y", "--yes", action="store_true", help="Do not ask to confirm.")


def _changes(parser: argparse.ArgumentParser) -> None:
    _common(parser, yes=True)
    parser.add_argument("--dry-run", action="store_true", help="Show what would change.")


def register(commands: argparse._SubParsersAction) -> None:
    # `list` is in listing.py (registered just before these).
    p = commands.add_parser("create", help="Create an environment.")
    _common(p, name=False, yes=True)
    p.add_argument("-n", "--name", help="Name of the new environment.")
    p.add_argument(
        "specs",
        nargs="*",
        help="Packages: conda specs ('numpy>=2' 'pandas=2.2'); with --engine uv or venv, "
        "PyPI requirements ('pandas==2.2.*').",
    )
    p.add_argument("--pip", action="append", default=[], help="A PyPI requirement (repeatable).")
    p.add_argument("--python", help="Python version, e.g. 3.12.")
    p.add_argument("-c", "--channel", action="append", default=[], help="Channel (repeatable).")
    p.add_argument("--engine", choices=ENGINE_CHOICES, help="Engine to use.")
    p.add_argument("-f", "--file", help="environment.yml, requirements.txt or a lock file.")
    p.set_defaults(handler=cmd_create)

    p = commands.add_parser("clone", help="Copy an environment.")
    _common(p, name=False)
    p.add_argument("source", help="Environment to copy.")
    p.add_argument("-n", "--name", required=True, help="Name of the copy.")
    p.set_defaults(handler=cmd_clone)

    p = commands.add_parser("remove", help="Delete an environment.")
    _common(p, yes=True)
    p.set_defaults(handler=cmd_remove)

    p = commands.add_parser("export", help="Write an environment file or lock.")
    _common(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="yml", help="What to write.")
    p.add_argument("-o", "--output", help="File to write (default: standard output).")
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("packages", help="List the packages of an environment.")
    _common(p)
    p.set_defaults(handler=cmd_packages)

    p = commands.add_parser("install", help="Install packages into an environment.")
    _changes(p)
    p.add_argument("specs", nargs="*", help="conda specs (PyPI requirements for venvs).")
    p.add_argument("--pip", action="append", default=[], help="A PyPI requirement (repeatable).")
    p.add_argument("-c", "--channel", action="append", default=[], help="Channel (repeatable).")
    p.set_defaults(handler=cmd_install)

    p = commands.add_parser("update", help="Update packages.")
    _changes(p)
    p.add_argument("specs", nargs="*", help="Packages to update.")
    p.add_argument("--all", action="store_true", help="Update every package.")
    p.add_argument("-c", "--channel", action="append", default=[], help="Channel (repeatable).")
    p.set_defaults(handler=cmd_update)

    p = commands.add_parser("uninstall", help="Remove packages from an environment.")
    _changes(p)
    p.add_argument("specs", nargs="+", help="Packages to remove.")
    p.set_defaults(handler=cmd_uninstall)

    p = commands.add_parser("search", help="Search available packages.")
    _common(p, name=False)
    p.add_argument("query", help="Part of a name, or a match spec like 'numpy>=2'.")
    p.add_argument("--pypi", action="store_true", help="Search PyPI instead of conda channels.")
    p.add_argument("-c", "--channel", action="append", default=[], help="Channel (repeatable).")
    p.set_defaults(handler=cmd_search)
