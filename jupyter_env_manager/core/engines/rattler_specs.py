"""Checks of what users hand the rattler engine (match specs, pip requirements,
channels), done before any solve or download so a mistake comes back at once as
an InvalidRequest naming the bad input rather than as a rattler or uv error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import InvalidRequest
from ..pypi_requirements import pypi_requirements

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    from rattler import MatchSpec
    from rattler.exceptions import InvalidMatchSpecError
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    pass

_EXPORT_PIN_RE = re.compile(r"([A-Za-z0-9_.\-]+)=([^\s=<>!~,|]+)=([A-Za-z0-9_.*]+)")


def parse_specs(specs: Iterable[str]) -> list[MatchSpec]:
    parsed = []
    for spec in specs:
        if not isinstance(spec, str) or not spec.strip():
            raise InvalidRequest(f"Invalid package spec {spec!r}: it is empty.")
        text = spec.strip()
        # Strict parsing rejects ambiguous specs (`al pha` would otherwise mean
        # version "pha"), but also conda's own export form `name=version=build`,
        # which is therefore rewritten to the equivalent `name ==version build`.
        pinned = _EXPORT_PIN_RE.fullmatch(text)
        if pinned:
            text = f"{pinned.group(1)} =={pinned.group(2)} {pinned.group(3)}"
        try:
            parsed.append(MatchSpec(text, strict=True))
        except InvalidMatchSpecError as exc:
            raise InvalidRequest(f"Invalid package spec {spec!r}: {exc}") from None
    return parsed


def validate_pip(requirements: Iterable[str] | None) -> list[str]:
    """The pip layer's requirements, checked like a venv's (conda syntax gets its
    PyPI spelling)."""
    given = list(requirements or [])
    pypi_requirements(given)
    # As typed (stripped): the pip layer records what the user asked for.
    return [text.strip() for text in given]


def validate_channels(channels: Sequence[str]) -> list[str]:
    checked = []
    for channel in channels:
        if not isinstance(channel, str) or not channel.strip():
            raise InvalidRequest(f"Invalid channel {channel!r}.")
        channel = channel.strip()
        if channel.startswith("file://"):
            path = Path(channel[len("file://") :])
            if not path.is_dir():
                raise InvalidRequest(f"Channel {channel} does not exist on this machine.")
        checked.append(channel)
    return checked


def python_spec(python: str | None) -> list[str]:
    """The conda spec for `EnvSpec.python` (`3.11` or `>=3.10`), as a list to splice in."""
    if not python:
        return []
    python = python.strip()
    return [f"python{python}" if python[0] in "<>=!~" else f"python={python}"]
