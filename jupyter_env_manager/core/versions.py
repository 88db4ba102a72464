"""Is this version newer? conda's ordering for conda packages, PEP 440 for PyPI ones.

Tells an update from a downgrade in change plans: `1.0rc1 -> 1.0` is an update under
both orderings, `1.10 -> 1.9` a downgrade, and conda's `1.0.post1` or `2024.01a`
follow conda's own rules (rattler implements them, as conda does).
"""

from __future__ import annotations


def conda_newer(new: str, old: str) -> bool:
    from rattler import Version

    try:
        return Version(new) > Version(old)
    except Exception:  # rattler raises its own error type for unparsable versions
        return new > old


def pypi_newer(new: str, old: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(new) > Version(old)
    except InvalidVersion:
        return new > old


def conda_sort_key(version: str) -> object:
    """A key that sorts conda versions in conda's order (unparsable ones last)."""
    from functools import cmp_to_key

    def compare(a: str, b: str) -> int:
        return 0 if a == b else (1 if conda_newer(a, b) else -1)

    return cmp_to_key(compare)(version)
