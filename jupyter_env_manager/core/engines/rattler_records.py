"""What the rattler engine reads off rattler's package records: names, version
order, conda-meta/history entries, change plans, dependents and `Package` rows.

A record is either a solver result (RepoDataRecord) or one of a prefix's
installed PrefixRecords; both carry the attributes used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..conda_prefix import channel_name, spec_name
from ..models import Package, PackageChange

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    from rattler import Version
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    pass

#: The command name written into conda-meta/history lines.
COMMAND = "jupyter-env-manager"


def record_name(record: Any) -> str:
    return record.name.normalized


def history_entry(record: Any) -> dict[str, Any]:
    """The few fields history lines need, from a rattler record."""
    return {
        "name": record_name(record),
        "version": str(record.version),
        "build": str(record.build),
        "channel": record.channel,
        "subdir": record.subdir,
    }


def version_key(record: Any) -> tuple[Any, int]:
    return (Version(str(record.version)), record.build_number)


def diff_records(old: Sequence[Any], new: Sequence[Any]) -> list[PackageChange]:
    """What moving from `old` to `new` records does, as plan entries sorted by name."""
    before = {record_name(r): r for r in old}
    after = {record_name(r): r for r in new}
    changes: list[PackageChange] = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is None and now is not None:
            changes.append(PackageChange(name, "install", "conda", None, str(now.version)))
        elif now is None and was is not None:
            changes.append(PackageChange(name, "remove", "conda", str(was.version), None))
        elif was is not None and now is not None:
            if was.url == now.url and str(was.build) == str(now.build):
                continue
            old_v, new_v = Version(str(was.version)), Version(str(now.version))
            if new_v > old_v:
                action = "update"
            elif new_v < old_v:
                action = "downgrade"
            else:
                action = "reinstall"
            changes.append(PackageChange(name, action, "conda", str(was.version), str(now.version)))
    return changes


def with_dependents(targets: set[str], installed: Sequence[Any]) -> set[str]:
    """`targets` plus every installed package that (transitively) depends on one."""
    removed = set(targets)
    needs = {
        record_name(r): {spec_name(dep) for dep in r.depends if dep.strip()} for r in installed
    }
    grew = True
    while grew:
        grew = False
        for name, deps in needs.items():
            if name not in removed and deps & removed:
                removed.add(name)
                grew = True
    return removed


def record_package(record: Any) -> Package:
    sha = record.sha256.hex() if record.sha256 else None
    return Package(
        name=record_name(record),
        version=str(record.version),
        source="conda",
        build=str(record.build),
        channel=channel_name(record.channel),
        url=record.url,
        sha256=sha,
    )
