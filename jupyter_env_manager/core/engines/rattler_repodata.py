"""Reading conda channels' repodata through rattler's Gateway: the records of named
packages (for solving, locks and search), and search itself.

`search` returns, for a plain substring, the newest version of each matching
name, best match first (see search_rank); for a match spec (`alpha>=2`), every
matching version (newest build of each), newest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..conda_prefix import spec_name
from ..models import Package
from ..search_rank import ranked
from .rattler_channel_errors import channel_error
from .rattler_records import record_name, record_package, version_key
from .rattler_specs import parse_specs

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    from rattler import Gateway
    from rattler.exceptions import GatewayError
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    pass

#: Substring searches stop after this many names (a big channel has ~30k).
MAX_SEARCH_NAMES = 200
_SPEC_OPERATOR_RE = re.compile(r"[\s=<>!~*\[:]")


async def query_records(
    gateway: Gateway, channels: Sequence[str], platforms: list[str], names: Iterable[str]
) -> list[Any]:
    """Every record of the named packages in `channels` for `platforms`."""
    try:
        result = await gateway.query(
            channels,
            platforms,
            list(names),
            recursive=False,
            channel_relations="disabled",
        )
    except GatewayError as exc:
        raise channel_error(exc, channels) from None
    return [record for per_channel in result for record in per_channel]


async def search_channels(
    gateway: Gateway, sources: list[str], platforms: list[str], query: str
) -> list[Package]:
    """Packages matching `query` (a stripped substring or match spec) in `sources`."""
    if _SPEC_OPERATOR_RE.search(query):
        spec = parse_specs([query])[0]
        records = [
            r
            for r in await query_records(gateway, sources, platforms, [spec_name(query)])
            if r.matches(spec)
        ]
        newest: dict[tuple[str, str], Any] = {}
        for r in records:
            key = (record_name(r), str(r.version))
            if key not in newest or r.build_number > newest[key].build_number:
                newest[key] = r
        # Newest first within each name (two stable sorts: versions are not negatable).
        ordered = sorted(newest.values(), key=version_key, reverse=True)
        ordered.sort(key=record_name)
        return [record_package(r) for r in ordered]
    try:
        names = await gateway.names(sources, platforms, channel_relations="disabled")
    except GatewayError as exc:
        raise channel_error(exc, sources) from None
    needle = query.lower()
    matched = ranked(needle, (n.normalized for n in names), MAX_SEARCH_NAMES)
    if not matched:
        return []
    best: dict[str, Any] = {}
    for r in await query_records(gateway, sources, platforms, matched):
        if record_name(r) not in best or version_key(r) > version_key(best[record_name(r)]):
            best[record_name(r)] = r
    return [record_package(best[n]) for n in matched if n in best]
