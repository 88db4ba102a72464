"""Every change to an environment as a numbered revision: when, what was asked,
what changed, and the exact package set it left.

- conda prefixes (made by conda, mamba, micromamba or rattler): `conda-meta/
  history`, read the way conda's `History` reads it, so revision N here is `rev N`
  of `conda list --revisions`. Each `==> time <==` block is one revision; its `+`
  and `-` lines (`channel/subdir::name-version-build`) replayed from the start
  give the package set after it; `# cmd:` and `# update/remove specs:` say what
  was asked. Changes conda itself made appear the same way.
- venvs: `<prefix>/.jupyter-env-manager/revisions.jsonl`, one JSON line per
  revision with its time, what was asked and the freeze pins it left (the lock
  snapshot a rollback reinstalls). A venv first changed by this tool gets a
  revision 0 holding what it had before.

Both live inside the prefix: removing the environment removes its history.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conda_prefix import HISTORY, _parse_spec_list, conda_meta, spec_name
from .errors import InvalidRequest
from .models import ChangeAction, EnvKind, PackageChange, PackageSource
from .package_set import pypi_pins
from .site_packages import normalize_name
from .versions import conda_newer, pypi_newer

VENV_LOG = Path(".jupyter-env-manager") / "revisions.jsonl"
_HEADER_RE = re.compile(r"^==>\s*(.+?)\s*<==\s*$")
_SPECS_RE = re.compile(r"^#\s*(update|remove|neutered|install|create)\s+specs:\s*(.*)$")
_CMD_RE = re.compile(r"^#\s*cmd:\s*(.*)$")


@dataclass(frozen=True)
class Dist:
    """One conda package build as history names it."""

    channel: str
    subdir: str
    name: str
    version: str
    build: str

    @classmethod
    def parse(cls, text: str) -> Dist | None:
        where, sep, dist = text.strip().rpartition("::")
        parts = dist.rsplit("-", 2)
        if len(parts) != 3 or not all(parts):
            return None
        channel, _, subdir = where.rpartition("/") if sep else ("", "", "")
        return cls(channel, subdir, parts[0].lower(), parts[1], parts[2])

    def matches(self, record: Mapping[str, Any]) -> bool:
        return (
            str(record.get("name", "")).lower() == self.name
            and str(record.get("version")) == self.version
            and str(record.get("build") or record.get("build_string") or "") == self.build
        )

    def label(self) -> str:
        return f"{self.name}-{self.version}-{self.build}"


@dataclass(frozen=True)
class Revision:
    number: int
    time: str
    #: What was asked: the command line conda logged, or the request made here.
    request: str
    changes: tuple[PackageChange, ...]
    #: conda: name -> Dist after this revision; venv: the freeze pins after it.
    conda_state: Mapping[str, Dist] = field(default_factory=dict)
    pins: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    #: What the user had asked for as of this revision: conda name -> spec (replayed
    #: from `# update/remove specs:` as conda does), or a venv's requested lines.
    requested: Mapping[str, str] | tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        packages = (
            sorted(d.label() for d in self.conda_state.values())
            if self.conda_state
            else list(self.pins)
        )
        return {
            "revision": self.number,
            "time": self.time,
            "request": self.request,
            "specs": list(self.specs),
            "changes": [c.to_json() for c in self.changes],
            "packages": packages,
        }



def _diff_versions(
    before: Mapping[str, str], after: Mapping[str, str], source: PackageSource, newer
) -> tuple[PackageChange, ...]:
    return tuple(
        PackageChange.between(name, before.get(name), after.get(name), source, newer)
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    )


def _conda_changes(before: Mapping[str, Dist], after: Mapping[str, Dist]):
    rows = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        action: ChangeAction
        if old is None:
            action = "install"
        elif new is None:
            action = "remove"
        elif old.version == new.version:
            action = "reinstall"  # another build, or the same from another channel
        else:
            action = "update" if conda_newer(new.version, old.version) else "downgrade"
        rows.append(PackageChange(name, action, "conda", old and old.version,
                                  new and new.version))  # fmt: skip
    return tuple(rows)


# -- conda-meta/history ------------------------------------------------------------


def read_conda_revisions(prefix: Path) -> list[Revision]:
    """The revisions of a conda prefix, as `conda list --revisions` numbers them."""
    path = conda_meta(prefix) / HISTORY
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        header = _HEADER_RE.match(line)
        if header:
            blocks.append((header.group(1), []))
        elif blocks and line.strip():
            blocks[-1][1].append(line.strip())
    revisions: list[Revision] = []
    state: dict[str, Dist] = {}
    requested: dict[str, str] = {}
    for number, (stamp, body) in enumerate(blocks):
        before = dict(state)
        request, specs = "", []
        for line in body:
            if line.startswith(("+", "-")) and not line.startswith("# "):
                dist = Dist.parse(line[1:])
                if dist is None:
                    continue
                if line[0] == "-":
                    # Only that exact build goes, as in conda's set of dists.
                    if dist.name in state and state[dist.name].label() == dist.label():
                        del state[dist.name]
                else:
                    state[dist.name] = dist
            elif cmd := _CMD_RE.match(line):
                request = cmd.group(1).strip()
            elif spec := _SPECS_RE.match(line):
                specs.append(f"{spec.group(1)}: {spec.group(2).strip()}")
                _replay_specs(requested, spec.group(1), spec.group(2))
        revisions.append(
            Revision(
                number=number,
                time=stamp,
                request=request,
                changes=_conda_changes(before, state),
                conda_state=dict(state),
                specs=tuple(specs),
                requested=dict(requested),
            )
        )
    return revisions


def _replay_specs(requested: dict[str, str], action: str, text: str) -> None:
    for item in _parse_spec_list(text):
        if item.endswith("@"):
            continue  # conda's marker for a feature spec
        try:
            name = spec_name(item)
        except ValueError:
            continue
        if action == "remove":
            requested.pop(name, None)
        else:
            requested[name] = item


# -- venv revision log ---------------------------------------------------------------


def _log_path(prefix: Path) -> Path:
    return prefix / VENV_LOG


def _pin_versions(pins: Sequence[str]) -> dict[str, str]:
    found = {}
    for line in pins:
        name, sep, version = line.partition("==")
        if sep:
            found[normalize_name(name.strip())] = version.strip()
        else:
            left, _, url = line.partition(" @ ")
            found[normalize_name(left.strip())] = url.strip()
    return found


def _pypi_newer(new: str, old: str) -> bool:
    try:
        return pypi_newer(new, old)
    except Exception:  # a URL pin has no version order
        return False


def read_venv_revisions(prefix: Path) -> list[Revision]:
    try:
        lines = _log_path(prefix).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    revisions: list[Revision] = []
    previous: tuple[str, ...] = ()
    for line in lines:
        try:
            data = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: the rest still counts
        if not isinstance(data, dict) or not isinstance(data.get("pins"), list):
            continue
        pins = tuple(str(p) for p in data["pins"])
        asked = data.get("requested")
        revisions.append(
            Revision(
                number=len(revisions),
                time=str(data.get("time", "")),
                request=str(data.get("request", "")),
                changes=_diff_versions(
                    _pin_versions(previous), _pin_versions(pins), "pypi", _pypi_newer
                ),
                pins=pins,
                requested=tuple(str(r) for r in asked) if isinstance(asked, list) else None,
            )
        )
        previous = pins
    return revisions


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def append_venv_revision(prefix: Path, request: str) -> None:
    """Log the venv's current pins as a new revision (a change that changed nothing
    still records what was asked, as conda's history does)."""
    path = _log_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": _now(), "request": request, "pins": list(pypi_pins(prefix))}
    from .engines.venv_state import read_requested  # packaging: only when logging

    asked = read_requested(prefix)
    if asked is not None:
        entry["requested"] = asked
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def ensure_venv_baseline(prefix: Path) -> None:
    """Before the first change recorded here: revision 0 is what the venv held."""
    if not _log_path(prefix).exists():
        append_venv_revision(prefix, "(what the environment held before its first recorded change)")


# -- one door for both kinds -----------------------------------------------------------


def revisions(prefix: Path, kind: EnvKind) -> list[Revision]:
    return read_conda_revisions(prefix) if kind == "conda" else read_venv_revisions(prefix)


def revision(prefix: Path, kind: EnvKind, number: object) -> Revision:
    """Revision `number` of the environment, or a 400 naming the ones there are."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidRequest("'revision' must be a whole number.")
    found = revisions(prefix, kind)
    if not found:
        raise InvalidRequest(f"{prefix} has no recorded history to roll back to.")
    if not 0 <= number < len(found):
        raise InvalidRequest(
            f"No revision {number}: this environment has revisions 0 to {len(found) - 1}."
        )
    return found[number]
