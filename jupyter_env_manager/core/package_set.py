"""The exact package set of a prefix, as a value that can be stored and put back.

A conda prefix's set is its `conda-meta/*.json` records as they are on disk: each
carries the package's url and sha256, so an installer can fetch (or take from its
cache) exactly that build again. A venv's set is its pinned requirements, the
lines `uv pip freeze` would print (`name==version`, or `name @ url`).

`Engine.restore_package_set(prefix, package_set)` makes a prefix hold exactly
such a set again; the transaction journal (engines/install_journal.py) and a
rollback to an earlier revision are both built on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conda_prefix import read_records
from .models import EnvKind
from .site_packages import list_pip_packages, normalize_name


@dataclass(frozen=True)
class PackageSet:
    """`conda`: conda-meta records (conda prefixes); `pypi`: pinned requirement lines
    (venvs). A conda prefix's pip-installed packages are not part of its set."""

    kind: EnvKind
    conda: tuple[dict[str, Any], ...] = ()
    pypi: tuple[str, ...] = ()

    def versions(self) -> dict[str, str]:
        """Package name -> version, to compare sets or show what a set holds."""
        if self.kind == "conda":
            return {str(r["name"]): str(r["version"]) for r in self.conda}
        found = {}
        for line in self.pypi:
            name, sep, version = line.partition("==")
            found[normalize_name(name.split("@")[0].strip())] = version.strip() if sep else ""
        return found

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "conda": list(self.conda), "pypi": list(self.pypi)}

    @classmethod
    def from_json(cls, data: Any) -> PackageSet:
        if not isinstance(data, dict) or data.get("kind") not in ("conda", "venv"):
            raise ValueError("not a recorded package set")
        conda = data.get("conda") or []
        pypi = data.get("pypi") or []
        if not all(isinstance(r, dict) and r.get("name") for r in conda):
            raise ValueError("conda records must be objects with a name")
        if not all(isinstance(line, str) for line in pypi):
            raise ValueError("PyPI pins must be strings")
        return cls(kind=data["kind"], conda=tuple(conda), pypi=tuple(pypi))


def pypi_pins(prefix: Path) -> tuple[str, ...]:
    """The freeze lines of a venv's installed distributions, sorted by name."""
    return tuple(
        f"{p.name} @ {p.url}" if p.url else f"{p.name}=={p.version}"
        for p in list_pip_packages(prefix)
    )


def read_package_set(prefix: Path, kind: EnvKind) -> PackageSet:
    """What `prefix` holds now."""
    if kind == "conda":
        return PackageSet(kind="conda", conda=tuple(read_records(prefix)))
    return PackageSet(kind="venv", pypi=pypi_pins(prefix))


def same_set(a: PackageSet, b: PackageSet) -> bool:
    """True when both name the same builds (conda: by url and sha256) or pins."""
    if a.kind != b.kind:
        return False
    if a.kind == "venv":
        return sorted(a.pypi) == sorted(b.pypi)

    def keys(s: PackageSet) -> list[str]:
        return sorted(json.dumps([r.get("url"), r.get("sha256")]) for r in s.conda)

    return keys(a) == keys(b)
