"""The lock file of a PyPI virtual environment, kept apart from the engines so the
format can be read and written without running any tool.

Lock format (`export(env, "lock")`) is a pip/uv requirements file:
    # jupyter-env-manager lock for a PyPI virtual environment
    # python: 3.11.7
    alpha==1.0 --hash=sha256:<hex> [--hash=sha256:<hex> ...]
Hashes come from the configured wheelhouse, else from the index's PEP 691 JSON
pages. They are written for every package or for none (pip turns on
hash-checking for the whole file when any line has one); the header says which.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..errors import InvalidRequest
from ..models import Package
from ..site_packages import normalize_name

LOCK_HEADER = "# jupyter-env-manager lock for a PyPI virtual environment"

_HASH_RE = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    """One exact package of a lock or freeze."""

    name: str
    version: str | None = None
    url: str | None = None
    hashes: tuple[str, ...] = ()

    def requirement(self, *, with_hashes: bool = True) -> str:
        text = f"{self.name} @ {self.url}" if self.url else f"{self.name}=={self.version}"
        if with_hashes:
            text += "".join(f" --hash=sha256:{digest}" for digest in self.hashes)
        return text


def pins_of(packages: Sequence[Package]) -> list[Pin]:
    return [
        Pin(name=p.name, version=p.version, url=p.url if p.url else None)
        for p in sorted(packages, key=lambda p: p.name)
    ]


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines of a requirements file with `\\` continuations joined, numbered from 1."""
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            yield start, buffer.strip()
        buffer = ""
    if buffer.strip():
        yield start, buffer.strip()


def parse_lock(text: str) -> tuple[str | None, list[Pin]]:
    """The Python version and the pins of a lock; InvalidRequest on any malformed line.

    Every line must be `name==version` or `name @ url`, optionally with environment
    markers and `--hash=sha256:` options; nothing else (ranges, other options) is
    accepted, because a lock that does not pin exactly cannot rebuild the same set.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("The lock file is empty.")
    python = None
    for raw in text.splitlines():
        match = re.fullmatch(r"#\s*python:\s*(\d+\.\d+(?:\.\d+)?)\s*", raw.strip())
        if match:
            python = match.group(1)
    pins: list[Pin] = []
    seen: set[str] = set()
    for number, line in _logical_lines(text):
        words = line.split()
        options = [w for w in words if w.startswith("--")]
        requirement_text = " ".join(w for w in words if not w.startswith("--"))
        hashes = []
        for option in options:
            match = _HASH_RE.fullmatch(option)
            if not match:
                raise InvalidRequest(
                    f"Lock line {number}: only --hash=sha256:<hex> options are allowed, "
                    f"got {option!r}."
                )
            hashes.append(match.group(1))
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as error:
            raise InvalidRequest(f"Lock line {number} is not a requirement: {error}.") from None
        specifiers = list(requirement.specifier)
        if requirement.url:
            pin = Pin(name=normalize_name(requirement.name), url=requirement.url)
        elif len(specifiers) == 1 and specifiers[0].operator in {"==", "==="}:
            if "*" in specifiers[0].version:
                raise InvalidRequest(f"Lock line {number} does not pin one version: {line!r}.")
            pin = Pin(
                name=normalize_name(requirement.name),
                version=specifiers[0].version,
                hashes=tuple(hashes),
            )
        else:
            raise InvalidRequest(
                f"Lock line {number} does not pin an exact version (name==version): {line!r}."
            )
        if pin.name in seen:
            raise InvalidRequest(f"Lock line {number}: {pin.name} is pinned twice.")
        seen.add(pin.name)
        pins.append(pin)
    return python, pins


def format_lock(python: str | None, pins: Sequence[Pin], hash_note: str) -> str:
    lines = [LOCK_HEADER]
    if python:
        lines.append(f"# python: {python}")
    lines.append(f"# {hash_note}")
    lines += [pin.requirement() for pin in pins]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- hashing helpers


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(functools.partial(stream.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
