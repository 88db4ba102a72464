"""Which interpreter a venv's Python request (`3.11`, `3.11.7`, `>=3.10`) means.

This process's own interpreter comes first when it satisfies the request: it is the
one a request without a version gets, it needs no search (uv's discovery of `3.11`
took a tenth of a second, and `python -m venv`'s needed a probe process), and a
server started as `~/venv/bin/jupyter lab` without activating has it off `PATH`,
where a search would not find it.
"""

from __future__ import annotations

import re
import sys

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


def version_satisfies(request: str, version: str) -> bool:
    """True when the Python `version` ("3.11.7") is what `request` asks for: a version
    prefix ("3", "3.11", "3.11.7") or a specifier set (">=3.10,<3.13")."""
    if re.fullmatch(r"\d+(\.\d+){0,2}", request):
        return version == request or version.startswith(request + ".")
    try:
        return Version(version) in SpecifierSet(request)
    except (InvalidSpecifier, InvalidVersion):
        return False


def own_version() -> str:
    """This interpreter's version as a probe of another one reads it ("3.13.0" for a
    3.13.0rc1 too), so both are matched alike."""
    return ".".join(str(part) for part in sys.version_info[:3])


def own_interpreter_serves(request: str | None) -> bool:
    """True when this process's interpreter satisfies `request` (None asks for it)."""
    return request is None or version_satisfies(request, own_version())
