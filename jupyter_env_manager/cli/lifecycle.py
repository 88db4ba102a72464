"""`history`, `rollback`, `disk` and `clean`: an environment's past, and the disk.

Imports of the core happen inside the commands, so `jupyter env-manager --help`
and every other command start without them.
"""

from __future__ import annotations

import argparse
import sys


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def _change_line(change: dict) -> str:
    versions = " -> ".join(v for v in (change["old_version"], change["new_version"]) if v)
    return f"    {change['action']:<10} {change['name']:<28} {versions}"


def cmd_history(args: argparse.Namespace) -> int:
    from ..core import history
    from .config import make_manager
    from .envs import _emit

    env = make_manager().get(args.name)
    found = [r.to_json() for r in history.revisions(env.prefix, env.kind)]
    lines = []
    for rev in found:
        lines.append(f"rev {rev['revision']}  {rev['time']}  {rev['request'] or '(not recorded)'}")
        lines += [_change_line(c) for c in rev["changes"]]
    text = "\n".join(lines) or f"{env.name} has no recorded history."
    _emit(args, {"environment": env.name, "kind": env.kind, "revisions": found}, text)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from ..core import rollback
    from .envs import _change

    return _change(
        args,
        lambda m, **kw: rollback.rollback(m, args.name, args.revision, **kw),
    )


def cmd_disk(args: argparse.Namespace) -> int:
    from ..core import disk_report
    from .config import make_manager
    from .envs import _emit

    found = disk_report.report(make_manager())
    rows = [f"{'environment':<24} {'size':>10} {'shared':>10} {'own':>10}"]
    for env in found["environments"]:
        rows.append(
            f"{env['name']:<24} {_size(env['size_bytes']):>10} "
            f"{_size(env['shared_bytes']):>10} {_size(env['own_bytes']):>10}"
        )
    rows.append(
        f"all environments: {_size(found['total_bytes'])} on disk "
        f"({_size(found['sum_of_sizes_bytes'])} if shared files were counted per env)"
    )
    rows.append("")
    rows.append(f"{'cache':<8} {'size':>10} {'clean frees':>12}  path")
    for cache in found["caches"]:
        frees = ("up to " if cache["estimate"] else "") + _size(cache["reclaimable_bytes"])
        note = f"  ({cache['note']})" if cache["note"] else ""
        size = _size(cache["size_bytes"])
        rows.append(f"{cache['kind']:<8} {size:>10} {frees:>12}  {cache['path']}{note}")
    _emit(args, found, "\n".join(rows))
    return 0


def _clean_text(result: dict) -> str:
    lines = []
    for cache in result["caches"]:
        if not cache["items"] and not cache["estimate"]:
            continue
        bound = " at most (uv cache prune)" if cache["estimate"] else ""
        lines.append(f"{cache['kind']} {cache['path']}: {_size(cache['reclaimable_bytes'])}{bound}")
        lines += [
            f"    {i['what']:<8} {_size(i['bytes']):>10}  {i['path']}" for i in cache["items"]
        ]
    return "\n".join(lines) or "Nothing to clean."


def cmd_clean(args: argparse.Namespace) -> int:
    from ..core import disk_report
    from .config import make_manager
    from .envs import _confirm, _emit

    manager = make_manager()
    preview = disk_report.clean(manager, dry_run=True)
    if args.dry_run or not preview["reclaimable_bytes"]:
        _emit(args, preview, _clean_text(preview))
        return 0
    if not args.json:
        print(_clean_text(preview))
    if not _confirm(args, "Remove these?"):
        print("Cancelled; nothing removed.", file=sys.stderr)
        return 1
    done = disk_report.clean(manager, dry_run=False)
    _emit(args, done, f"Freed {_size(done['freed_bytes'])}.")
    return 0


def _revision(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError("a revision is a whole number (see `history`)")
    return int(text)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("history", help="An environment's revisions (what changed, when).")
    p.add_argument("-n", "--name", required=True, help="Environment name or prefix.")
    p.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    p.set_defaults(handler=cmd_history)

    p = commands.add_parser("rollback", help="Put an environment back to an earlier revision.")
    p.add_argument("-n", "--name", required=True, help="Environment name or prefix.")
    p.add_argument("--revision", required=True, type=_revision, help="Revision number.")
    p.add_argument("--dry-run", action="store_true", help="Show what would change.")
    p.add_argument("-y", "--yes", action="store_true", help="Do not ask to confirm.")
    p.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    p.set_defaults(handler=cmd_rollback)

    p = commands.add_parser("disk", help="Disk used by environments and package caches.")
    p.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    p.set_defaults(handler=cmd_disk)

    p = commands.add_parser("clean", help="Remove cached packages no environment uses.")
    p.add_argument("--dry-run", action="store_true", help="Show what would be removed.")
    p.add_argument("-y", "--yes", action="store_true", help="Do not ask to confirm.")
    p.add_argument("--json", action="store_true", help="Print JSON for scripts.")
    p.set_defaults(handler=cmd_clean)
