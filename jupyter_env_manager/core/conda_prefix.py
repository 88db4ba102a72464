"""Read (and append to) the metadata of any conda prefix, without conda or rattler.

A conda prefix describes itself in `conda-meta/`: one `<name>-<version>-<build>.json`
record per installed package, and a `history` file that logs every transaction and
the specs the user asked for. conda, mamba, micromamba and rattler all write the
same layout, so everything here works on prefixes made by any of them, and the
engines that drive those tools reuse it.
"""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import Package
from .site_packages import list_pip_packages, normalize_name

CONDA_META = "conda-meta"
HISTORY = "history"
_ANACONDA_ORG = "https://conda.anaconda.org/"
# `# update specs: [...]` and friends: the lines conda reads requested specs from.
_SPECS_RE = re.compile(r"^#\s*(\w+)\s*specs:\s*(.*)$")
# Our own pip lines deliberately do NOT match `_SPECS_RE` (no "specs:" after one
# word), so conda's history parser ignores them instead of misreading them.
_PIP_RE = re.compile(r"^#\s*pip\s+(requested|removed):\s*(.*)$")
_SPEC_NAME_RE = re.compile(r"^\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)")
_UPDATE_ACTIONS = {"update", "install", "create"}
_REMOVE_ACTIONS = {"remove", "uninstall"}


def conda_meta(prefix: Path) -> Path:
    return prefix / CONDA_META


def is_conda_prefix(prefix: Path) -> bool:
    """True when `prefix` has a `conda-meta` folder (what conda itself checks)."""
    return conda_meta(prefix).is_dir()


def spec_name(spec: str) -> str:
    """The package name of a conda match spec, e.g. `conda-forge::numpy>=2` -> `numpy`.

    Raises ValueError when no name can be found.
    """
    bare = spec.rsplit("::", 1)[-1]
    match = _SPEC_NAME_RE.match(bare)
    if not match:
        raise ValueError(f"no package name in spec {spec!r}")
    return match.group(1).lower()


def channel_name(channel: str | None) -> str | None:
    """A record's channel as users write it: `conda-forge` rather than its full URL."""
    if not channel:
        return None
    value = channel.rstrip("/")
    if value.startswith(_ANACONDA_ORG):
        return value[len(_ANACONDA_ORG) :]
    return value


def read_records(prefix: Path) -> list[dict[str, Any]]:
    """The raw `conda-meta/*.json` records of a prefix, sorted by package name.

    Unreadable or foreign JSON files are skipped: one broken record must not hide
    the whole environment.
    """
    records: list[dict[str, Any]] = []
    meta = conda_meta(prefix)
    if not meta.is_dir():
        return records
    for path in meta.glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("name") and data.get("version"):
            records.append(data)
    records.sort(key=lambda r: str(r["name"]).lower())
    return records


def record_sha256(record: Mapping[str, Any]) -> str | None:
    value = record.get("sha256")
    return value if isinstance(value, str) and value else None


def record_to_package(record: Mapping[str, Any], *, requested: bool = False) -> Package:
    return Package(
        name=str(record["name"]),
        version=str(record["version"]),
        source="conda",
        build=str(record.get("build") or record.get("build_string") or "") or None,
        channel=channel_name(record.get("channel")),
        url=record.get("url") or None,
        sha256=record_sha256(record),
        requested=requested,
    )


@dataclass
class History:
    """What `conda-meta/history` says the user asked for, replayed in order.

    `conda` maps package name -> the spec as the user wrote it (a later request
    for the same name replaces an earlier one; a removal drops it), mirroring
    how conda computes `--from-history`. `pip` does the same for the PEP 508
    requirements this project records on its own `# pip requested:` lines.
    """

    conda: dict[str, str] = field(default_factory=dict)
    pip: dict[str, str] = field(default_factory=dict)

    @property
    def requested_names(self) -> set[str]:
        return set(self.conda)


def _parse_spec_list(text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return []
        return [str(item) for item in value if isinstance(item, str) and item.strip()]
    # Very old conda wrote specs comma-separated without brackets.
    return [part.strip() for part in text.split(",") if part.strip()]


def pip_requirement_name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement (`Foo_Bar>=1` -> `foo-bar`)."""
    match = _SPEC_NAME_RE.match(requirement)
    if not match:
        raise ValueError(f"no package name in requirement {requirement!r}")
    return normalize_name(match.group(1))


def read_history(prefix: Path) -> History:
    history = History()
    path = conda_meta(prefix) / HISTORY
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return history
    for line in lines:
        line = line.strip()
        pip_match = _PIP_RE.match(line)
        if pip_match:
            action, rest = pip_match.groups()
            for requirement in _parse_spec_list(rest):
                try:
                    name = pip_requirement_name(requirement)
                except ValueError:
                    continue
                if action == "requested":
                    history.pip[name] = requirement
                else:
                    history.pip.pop(name, None)
            continue
        match = _SPECS_RE.match(line)
        if not match:
            continue
        action, rest = match.groups()
        for spec in _parse_spec_list(rest):
            if spec.endswith("@"):
                continue  # conda's marker for an unversioned feature spec
            try:
                name = spec_name(spec)
            except ValueError:
                continue
            if action in _UPDATE_ACTIONS or action == "neutered":
                history.conda[name] = spec
            elif action in _REMOVE_ACTIONS:
                history.conda.pop(name, None)
    return history


def dist_string(record: Mapping[str, Any]) -> str:
    """`channel/subdir::name-version-build`, the form conda logs in history."""
    channel = channel_name(record.get("channel")) or "<unknown>"
    subdir = record.get("subdir")
    where = f"{channel}/{subdir}" if subdir else channel
    return f"{where}::{record['name']}-{record['version']}-{record.get('build', '')}"


def append_history(
    prefix: Path,
    *,
    command: str,
    added: Iterable[Mapping[str, Any]] = (),
    removed: Iterable[Mapping[str, Any]] = (),
    update_specs: Iterable[str] = (),
    remove_specs: Iterable[str] = (),
    pip_requested: Iterable[str] = (),
    pip_removed: Iterable[str] = (),
    tool: str = "jupyter-env-manager",
    tool_version: str = "",
) -> None:
    """Append one transaction to `conda-meta/history` in conda's format.

    conda reads `# update specs:` / `# remove specs:` back to know what the user
    asked for; `+`/`-` lines record what changed (shown by `conda list --revisions`).
    """
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"==> {stamp} <==", f"# cmd: {command}"]
    if tool_version:
        lines.append(f"# {tool} version: {tool_version}")
    lines += [f"-{dist_string(r)}" for r in sorted(removed, key=lambda r: str(r["name"]))]
    lines += [f"+{dist_string(r)}" for r in sorted(added, key=lambda r: str(r["name"]))]
    if update := list(update_specs):
        lines.append(f"# update specs: {update!r}")
    if remove := list(remove_specs):
        lines.append(f"# remove specs: {remove!r}")
    if pip_add := list(pip_requested):
        lines.append(f"# pip requested: {pip_add!r}")
    if pip_gone := list(pip_removed):
        lines.append(f"# pip removed: {pip_gone!r}")
    meta = conda_meta(prefix)
    meta.mkdir(parents=True, exist_ok=True)
    with (meta / HISTORY).open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def list_conda_packages(prefix: Path, history: History | None = None) -> list[Package]:
    """Conda packages of a prefix; `requested` marks the ones the user asked for."""
    history = history if history is not None else read_history(prefix)
    requested = history.requested_names
    return [
        record_to_package(r, requested=str(r["name"]).lower() in requested)
        for r in read_records(prefix)
    ]


def list_all_packages(prefix: Path) -> list[Package]:
    """Conda packages plus pip-installed ones, sorted by name (conda first on a tie)."""
    history = read_history(prefix)
    conda = list_conda_packages(prefix, history)
    pip = [
        Package(
            name=p.name,
            version=p.version,
            source=p.source,
            url=p.url,
            requested=p.name in history.pip,
        )
        for p in list_pip_packages(prefix)
    ]
    return sorted([*conda, *pip], key=lambda p: (p.name.lower(), p.source != "conda"))
