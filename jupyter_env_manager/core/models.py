"""Plain data passed between engines, the manager, the CLI and the server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

EnvKind = Literal["conda", "venv"]
PackageSource = Literal["conda", "pypi"]
ChangeAction = Literal["install", "update", "downgrade", "remove", "reinstall"]
ExportFormat = Literal["yml", "no-builds", "from-history", "requirements", "lock"]
EXPORT_FORMATS: tuple[str, ...] = ("yml", "no-builds", "from-history", "requirements", "lock")


@dataclass(frozen=True)
class Environment:
    """One environment found on disk."""

    name: str
    prefix: Path
    kind: EnvKind
    engine: str
    python_version: str | None = None
    has_ipykernel: bool = False
    size_bytes: int | None = None
    is_base: bool = False
    #: Usable (as a kernel too) but never changed from here; the reason says why.
    read_only: bool = False
    read_only_reason: str | None = None
    #: A change to it was cut short and not undone yet (its journal is left and no
    #: operation holds it): the next operation on it, or the next server start,
    #: puts its packages back as they were.
    needs_repair: bool = False
    #: When its packages last changed (seconds since the epoch): the mtime of
    #: conda-meta/ (conda) or site-packages/ (venv); None when unreadable.
    modified: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["prefix"] = str(self.prefix)
        return data


@dataclass(frozen=True)
class Package:
    """One installed or available package."""

    name: str
    version: str
    source: PackageSource
    build: str | None = None
    channel: str | None = None
    url: str | None = None
    sha256: str | None = None
    requested: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PackageChange:
    name: str
    action: ChangeAction
    source: PackageSource
    old_version: str | None = None
    new_version: str | None = None

    @classmethod
    def between(
        cls, name: str, old: str | None, new: str | None, source: PackageSource,
        newer: Callable[[str, str], bool],
    ) -> PackageChange:  # fmt: skip
        """The change from version `old` to `new` (None: absent); `newer(a, b)` orders them."""
        action: ChangeAction
        if old is None:
            action = "install"
        elif new is None:
            action = "remove"
        elif old == new:
            action = "reinstall"
        else:
            action = "update" if newer(new, old) else "downgrade"
        return cls(name, action, source, old, new)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChangePlan:
    """What an install/update/remove did, or would do when `dry_run`."""

    changes: tuple[PackageChange, ...]
    dry_run: bool

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "changes": [c.to_json() for c in self.changes]}


@dataclass
class EnvSpec:
    """What a new environment should contain.

    `conda` holds conda match specs (`numpy>=2`, `pandas=2.2`), `pip` holds PEP 508
    requirements. For a PyPI engine (uv, venv) `conda` holds PyPI requirements too:
    what the user typed as packages, checked by `pypi_requirements`.
    """

    name: str | None = None
    python: str | None = None
    conda: list[str] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    #: environment.yml's `variables:`, set on activation (conda's `env config vars`).
    variables: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProgressEvent:
    """A step of a long operation. `fraction` is in [0, 1] when known."""

    stage: str
    message: str = ""
    fraction: float | None = None
    package: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(event: ProgressEvent) -> None:
    """Default callback for callers that do not show progress."""
