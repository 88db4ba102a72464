"""What a PyPI virtual environment remembers beyond its installed packages.

A venv has no conda-style history, so what the user asked for is kept in
`<prefix>/.jupyter-env-manager/requested.txt`, one PEP 508 requirement per line
exactly as given (`alpha<2`), newest wins per package. It drives `requested`
flags, `update(names=None)` and the `from-history` export. A venv made by another
tool has no such file: then the packages no other installed package depends on
count as requested.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..models import Package
from ..site_packages import normalize_name, site_packages_dirs

STATE_DIR = ".jupyter-env-manager"
REQUESTED_FILE = "requested.txt"
# Installers seed these into venvs; a user rarely asked for them.
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})


def venv_python(prefix: Path) -> Path:
    """The interpreter of a venv at `prefix`."""
    if sys.platform == "win32":
        return prefix / "Scripts" / "python.exe"
    return prefix / "bin" / "python"


def _requested_path(prefix: Path) -> Path:
    return prefix / STATE_DIR / REQUESTED_FILE


def read_requested(prefix: Path) -> list[str] | None:
    """The requirements recorded for `prefix`, or None when none were recorded."""
    try:
        text = _requested_path(prefix).read_text()
    except OSError:
        return None
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def write_requested(prefix: Path, requirements: Iterable[str]) -> None:
    path = _requested_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{line}\n" for line in requirements)
    path.write_text("# What the user asked for, newest per package (jupyter-env-manager)\n" + lines)


def requirement_name(text: str) -> str:
    try:
        return normalize_name(Requirement(text).name)
    except InvalidRequirement:
        return normalize_name(re.split(r"[^A-Za-z0-9._-]", text, maxsplit=1)[0])


def merge_requested(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """`old` with every package of `new` replaced or added, sorted by name."""
    merged = {requirement_name(line): line for line in old}
    merged.update({requirement_name(line): line for line in new})
    return [merged[key] for key in sorted(merged)]


def _dependencies(prefix: Path) -> set[str]:
    """Names some installed package depends on (extras left out)."""
    needed: set[str] = set()
    for site in site_packages_dirs(prefix):
        for metadata in site.glob("*.dist-info/METADATA"):
            headers = HeaderParser().parsestr(metadata.read_text(errors="replace"))
            for line in headers.get_all("Requires-Dist") or []:
                try:
                    requirement = Requirement(line)
                except InvalidRequirement:
                    continue
                if requirement.marker is not None and "extra" in str(requirement.marker):
                    continue
                needed.add(normalize_name(requirement.name))
    return needed


def requested_or_guessed(prefix: Path, installed: Sequence[Package]) -> list[str]:
    """Recorded requirements; for foreign venvs, the installed packages nothing needs."""
    recorded = read_requested(prefix)
    if recorded is not None:
        return recorded
    needed = _dependencies(prefix)
    return [p.name for p in installed if p.name not in needed and p.name not in SEED_PACKAGES]
