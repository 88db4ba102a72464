"""Render and parse conda environment exports, independent of the tool that made the prefix.

Formats (see `models.EXPORT_FORMATS`):

- "yml"          conda's environment.yml: `name=version=build` pins plus a nested `pip:` list
- "no-builds"    the same with `name=version` pins, portable across platforms
- "from-history" only the specs the user asked for, as written (conda `--from-history`)
- "requirements" pip-style lines for the Python distributions in the prefix
- "lock"         conda's `@EXPLICIT` file: one `url#sha256:<hex>` (or `url#<md5>`) line per
                 package, so the same platform can rebuild it without solving

Pip packages appear as `name==version`, or `name @ url` when they were installed from
a direct URL (as `pip freeze` does), so an export of a locally built wheel still
installs offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .conda_prefix import History, channel_name, read_records, record_sha256
from .errors import InvalidRequest
from .models import Package
from .site_packages import list_pip_packages

EXPLICIT_MARKER = "@EXPLICIT"
_PLATFORM_RE = re.compile(r"^#\s*platform:\s*(\S+)\s*$")
_REQUESTED_RE = re.compile(r"^#\s*requested:\s*(.+)$")
_PIP_LINE_RE = re.compile(r"^#\s*pip:\s*(.+)$")
_MD5_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_ARCHIVE_SUFFIXES = (".tar.bz2", ".conda")


def pip_requirement(package: Package) -> str:
    """How a pip package is pinned in exports: its direct URL when it has one."""
    if package.url:
        return f"{package.name} @ {package.url}"
    return f"{package.name}=={package.version}"


def record_channels(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The channels packages came from, in order of first appearance."""
    seen: list[str] = []
    for record in records:
        name = channel_name(record.get("channel"))
        if name and name not in seen:
            seen.append(name)
    return seen


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def _environment(
    name: str | None, channels: Sequence[str], conda: Sequence[str], pip: Sequence[str]
) -> str:
    dependencies: list[Any] = list(conda)
    if pip:
        dependencies.append({"pip": list(pip)})
    document: dict[str, Any] = {}
    if name:
        document["name"] = name
    document["channels"] = list(channels)
    document["dependencies"] = dependencies
    return _dump(document)


def render_yml(name: str | None, prefix: Path, *, builds: bool = True) -> str:
    """environment.yml pinning every package (`builds=False`: the "no-builds" format)."""
    records = read_records(prefix)
    if builds:
        conda = [f"{r['name']}={r['version']}={r.get('build', '')}" for r in records]
    else:
        conda = [f"{r['name']}={r['version']}" for r in records]
    pip = [pip_requirement(p) for p in list_pip_packages(prefix)]
    return _environment(name, record_channels(records), conda, pip)


def render_from_history(name: str | None, prefix: Path, history: History) -> str:
    """Only what the user asked for, so the file stays portable and minimal.

    Pip requirements are included from this project's own history lines (conda's
    `--from-history` has no pip section; it never recorded pip requests).
    """
    records = read_records(prefix)
    installed_pip = {p.name for p in list_pip_packages(prefix)}
    pip = [spec for pip_name, spec in history.pip.items() if pip_name in installed_pip]
    return _environment(name, record_channels(records), list(history.conda.values()), pip)


def render_requirements(prefix: Path) -> str:
    """requirements.txt of every Python distribution in the prefix.

    Conda packages that ship a Python distribution (a `.dist-info` in
    site-packages, e.g. numpy from conda-forge) are listed by their PyPI name;
    conda packages that are not Python distributions (python itself, C
    libraries, tools) have no PyPI equivalent and are left out; the header says so.
    """
    lines = [
        "# Python packages of this environment, pip-style.",
        "# Conda packages that are not Python distributions are omitted;",
        "# export 'yml' or 'lock' to reproduce those.",
    ]
    lines += [pip_requirement(p) for p in list_pip_packages(prefix, include_conda_installed=True)]
    return "\n".join(lines) + "\n"


def render_lock(
    prefix: Path,
    platform: str,
    *,
    requested: Iterable[str] = (),
    pip: Iterable[Package] = (),
) -> str:
    """conda's explicit format; `conda create --file` and rattler read it too.

    Our extra header lines (`# requested:`, `# pip:`) are comments to other
    tools; `create_from_lock` uses them to restore history and pip packages.
    """
    records = read_records(prefix)
    lines = [
        "# This file may be used to create an environment using:",
        "# $ conda create --name <env> --file <this file>",
        f"# platform: {platform}",
    ]
    requested = list(requested)
    if requested:
        lines.append(f"# requested: {json.dumps(requested)}")
    lines += [f"# pip: {pip_requirement(p)}" for p in pip]
    lines.append(EXPLICIT_MARKER)
    for record in records:
        url = record.get("url")
        if not url:
            raise InvalidRequest(
                f"Cannot lock {record['name']}: its conda-meta record has no download URL."
            )
        sha256 = record_sha256(record)
        md5 = record.get("md5")
        if sha256:
            lines.append(f"{url}#sha256:{sha256}")
        elif isinstance(md5, str) and md5:
            lines.append(f"{url}#{md5}")
        else:
            lines.append(url)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class LockEntry:
    url: str
    sha256: str | None = None
    md5: str | None = None

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def subdir(self) -> str:
        parts = self.url.rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 else ""

    @property
    def channel(self) -> str:
        """The channel URL: the package URL without `/<subdir>/<file>`."""
        return self.url.rsplit("/", 2)[0]


@dataclass
class ExplicitLock:
    platform: str | None
    entries: list[LockEntry] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)


def parse_lock(text: str) -> ExplicitLock:
    """Parse an `@EXPLICIT` file; raise InvalidRequest (naming the line) when malformed."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("The lock file is empty.")
    lock = ExplicitLock(platform=None)
    explicit = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if m := _PLATFORM_RE.match(line):
                lock.platform = m.group(1)
            elif m := _REQUESTED_RE.match(line):
                try:
                    value = json.loads(m.group(1))
                except ValueError:
                    raise InvalidRequest(
                        f"Lock line {number}: '# requested:' must hold a JSON list of specs."
                    ) from None
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InvalidRequest(
                        f"Lock line {number}: '# requested:' must hold a JSON list of specs."
                    )
                lock.requested = value
            elif m := _PIP_LINE_RE.match(line):
                lock.pip.append(m.group(1).strip())
            continue
        if line == EXPLICIT_MARKER:
            explicit = True
            continue
        if not explicit:
            raise InvalidRequest(
                f"Lock line {number}: expected '{EXPLICIT_MARKER}' before package URLs "
                "(is this a conda explicit lock file?)."
            )
        lock.entries.append(_parse_entry(line, number))
    if not explicit:
        raise InvalidRequest(f"Not a conda explicit lock file: no '{EXPLICIT_MARKER}' line.")
    if not lock.entries:
        raise InvalidRequest("The lock file lists no packages.")
    return lock


def _parse_entry(line: str, number: int) -> LockEntry:
    url, _, fragment = line.partition("#")
    url = url.strip()
    if "://" not in url or not url.endswith(_ARCHIVE_SUFFIXES):
        raise InvalidRequest(
            f"Lock line {number}: {line!r} is not a package URL ending in .conda or .tar.bz2."
        )
    if len(url.rstrip("/").split("/")) < 5:
        raise InvalidRequest(f"Lock line {number}: {url!r} has no <channel>/<subdir>/ part.")
    fragment = fragment.strip()
    if not fragment:
        return LockEntry(url)
    if fragment.startswith("sha256:") and _SHA256_RE.match(fragment[7:]):
        return LockEntry(url, sha256=fragment[7:].lower())
    if _MD5_RE.match(fragment):
        return LockEntry(url, md5=fragment.lower())
    raise InvalidRequest(
        f"Lock line {number}: hash {fragment!r} is neither 'sha256:<64 hex>' nor an md5."
    )
