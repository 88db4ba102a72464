"""Package arguments for a PyPI engine: PEP 508 requirements, nothing else.

People who know conda type conda match specs (`numpy=1.26`, `conda-forge::numpy`,
`numpy 1.26 py_0`) into a venv's package list. None of those is a PEP 508
requirement, and guessing what was meant would install the wrong thing silently,
so each is refused with the PyPI spelling of what the conda spec asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.requirements import InvalidRequirement, Requirement

from .errors import InvalidRequest

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_VERSION = r"[0-9][0-9A-Za-z.+!_-]*\*?"
_CHANNEL_RE = re.compile(r"(?P<channel>[^\s:]+)::(?P<rest>.+)")
# conda's `name=1.2`, `name=1.2=build`, `name==1.2=build`, `name 1.2`, `name 1.2 build`.
_EQUALS_RE = re.compile(
    rf"(?P<name>{_NAME})\s*(?P<op>==?)\s*(?P<version>{_VERSION})(?:=(?P<build>\S+))?"
)
_SPACED_RE = re.compile(rf"(?P<name>{_NAME})\s+(?P<version>{_VERSION})(?:\s+(?P<build>\S+))?")
_BRACKET_RE = re.compile(
    rf"(?P<name>{_NAME})\s*\[\s*version\s*=\s*(?P<quote>['\"]?)(?P<spec>[^'\"\]]+)(?P=quote)\s*\]"
)
EXAMPLES = "'numpy', 'numpy>=1.26' or 'numpy==1.26.*'"


def _fuzzy(version: str) -> str:
    """conda's `=1.2` (and `1.2*`) means "1.2 or any 1.2.x": PEP 440's `==1.2.*`."""
    stem = version.removesuffix("*").removesuffix(".")
    return f"=={stem}.*"


def _exact(version: str) -> str:
    return _fuzzy(version) if version.endswith("*") else f"=={version}"


def conda_spelling(text: str) -> tuple[str, str] | None:
    """(PyPI requirement, the conda-only parts it drops) for a conda match spec, or
    None when `text` is not a conda spec this can translate."""
    dropped = []
    channel = _CHANNEL_RE.fullmatch(text)
    if channel:
        text = channel.group("rest").strip()
        dropped.append(f"the channel '{channel.group('channel')}' (PyPI has no channels)")
    suggestion = text if channel else None
    if match := _EQUALS_RE.fullmatch(text):
        version, build = match.group("version"), match.group("build")
        if build:
            suggestion = match.group("name") + _exact(version)
            dropped.append(f"the build '{build}' (PyPI has no builds)")
        elif match.group("op") == "=":
            suggestion = match.group("name") + _fuzzy(version)
            stem = version.removesuffix("*").removesuffix(".")
            dropped.append(f"conda's single '=', which matches {stem} and every {stem}.x")
        else:
            suggestion = match.group("name") + _exact(version)
    elif match := _SPACED_RE.fullmatch(text):
        suggestion = match.group("name") + _exact(match.group("version"))
        build = match.group("build")
        dropped.append(
            f"the build '{build}' (PyPI has no builds)" if build else "conda's 'name version' form"
        )
    elif match := _BRACKET_RE.fullmatch(text):
        suggestion = match.group("name") + match.group("spec").replace(" ", "")
        dropped.append("conda's [version=...] brackets")
    if suggestion is None or not dropped:
        return None
    try:
        Requirement(suggestion)
    except InvalidRequirement:
        return None
    return suggestion, " and ".join(dropped)


def pypi_requirement(spec: object) -> Requirement:
    """`spec` parsed as a whole PEP 508 requirement, or InvalidRequest saying how to
    write it as one."""
    text = spec.strip() if isinstance(spec, str) else ""
    if not text or text.startswith("-"):
        # Also keeps option-like strings (`--index-url=...`) off the tool's command line.
        raise InvalidRequest(f"Not a package requirement: {spec!r}; write one like {EXAMPLES}.")
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        spelled = conda_spelling(text)
        if spelled:
            suggestion, dropped = spelled
            raise InvalidRequest(
                f"{text!r} is conda syntax, not a PyPI requirement: it uses {dropped}. "
                f"Write it as '{suggestion}'."
            ) from None
        reason = str(error).splitlines()[0].rstrip(".")
        raise InvalidRequest(
            f"{text!r} is not a PyPI requirement ({reason}); write one like {EXAMPLES}."
        ) from None


def pypi_requirements(specs: Iterable[object]) -> list[Requirement]:
    """Every spec parsed by `pypi_requirement`; the first bad one raises."""
    return [pypi_requirement(spec) for spec in specs]
