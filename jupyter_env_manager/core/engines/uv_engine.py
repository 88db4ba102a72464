"""PyPI virtual environments, built with uv (and, through a subclass, venv + pip).

`VenvEngineBase` holds everything both tools share: checking requirements,
recording what the user asked for, computing change plans, exports, locks,
search and cleanup of half-made prefixes. A subclass only says how to make a
venv and which command lines install and remove packages, and how to read the
tool's errors.

What the user asked for is kept in `<prefix>/.jupyter-env-manager/requested.txt`,
one PEP 508 requirement per line exactly as given (`alpha<2`), newest wins per
package. It drives `requested` flags, `update(names=None)` and the
`from-history` export. A venv made by another tool has no such file: then the
packages no other installed package depends on count as requested.

Lock format (`export(env, "lock")`) is a pip/uv requirements file:
    # jupyter-env-manager lock for a PyPI virtual environment
    # python: 3.11.7
    alpha==1.0 --hash=sha256:<hex> [--hash=sha256:<hex> ...]
Hashes come from the configured wheelhouse, else from the index's PEP 691 JSON
pages. They are written for every package or for none (pip turns on
hash-checking for the whole file when any line has one); the header says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import ClassVar

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..errors import (
    EngineFailure,
    EngineUnavailable,
    EnvironmentExists,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from ..info import tool_version, uv_binary
from ..models import (
    ChangeAction,
    ChangePlan,
    Environment,
    EnvSpec,
    ExportFormat,
    Package,
    PackageChange,
    ProgressCallback,
    ProgressEvent,
    ignore_progress,
)
from ..site_packages import list_pip_packages, normalize_name, python_version, site_packages_dirs
from ..specfiles import parse_requirements
from ..subprocess_runner import CommandResult, StreamName, run_command
from .base import Engine

STATE_DIR = ".jupyter-env-manager"
REQUESTED_FILE = "requested.txt"
DEFAULT_INDEX_URL = "https://pypi.org/simple/"
LOCK_HEADER = "# jupyter-env-manager lock for a PyPI virtual environment"
# Installers seed these into venvs; a user rarely asked for them.
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
SEARCH_CACHE_SECONDS = 24 * 3600
MAX_INDEX_RESULTS = 100
# How many extra dry runs are spent to name every missing package, not only the first.
MAX_MISSING_ROUNDS = 5

_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_HASH_RE = re.compile(r"^--hash=sha256:([0-9a-f]{64})$")
_PY_VERSION_RE = re.compile(r"^(?:python)?(\d+(?:\.\d+){0,2})$")
_PY_CLAUSE = r"(?:[<>=!~]=?|===?)\s*[0-9][0-9.*]*"
_PY_SPECIFIER_RE = re.compile(rf"^{_PY_CLAUSE}(\s*,\s*{_PY_CLAUSE})*$")


# --------------------------------------------------------------------------- input checks


def _check_names(names: Iterable[str]) -> list[str]:
    checked = []
    for name in names:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise InvalidRequest(f"Not a package name: {name!r}.")
        checked.append(normalize_name(name))
    return checked


def python_request(spec: EnvSpec) -> str | None:
    """The Python a venv spec asks for, from `spec.python` or a conda `python` spec.

    Anything else in `spec.conda` is refused: a venv holds PyPI packages only.
    `pip` in the conda list is accepted and ignored (environment.yml files list it
    to enable their `pip:` section).
    """
    request = spec.python
    others = []
    for item in spec.conda:
        match = re.match(r"^\s*([A-Za-z0-9._-]+)\s*(.*)$", item or "")
        name = normalize_name(match.group(1)) if match else ""
        if name == "python":
            conda_python = match.group(2).strip() if match else ""
            # conda's `python=3.11` and `python=3.11.*` mean "some 3.11".
            conda_python = re.sub(r"^=(?!=)", "", conda_python).removesuffix(".*")
            request = request or conda_python or None
        elif name != "pip":
            others.append(item)
    if others:
        raise InvalidRequest(
            "A PyPI virtual environment takes PyPI packages only; move these to the pip "
            f"list or use a conda engine: {', '.join(others)}."
        )
    if request is None:
        return None
    request = request.strip()
    if "/" in request or "\\" in request:
        if not Path(request).is_file():
            raise InvalidRequest(f"No Python interpreter at {request}.")
        return request
    if _PY_VERSION_RE.match(request) or _PY_SPECIFIER_RE.match(request):
        return request.removeprefix("python")
    raise InvalidRequest(
        f"Invalid Python version {request!r}: use a version such as '3.11' or a path."
    )


# --------------------------------------------------------------------------- requested record


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


def _requirement_name(text: str) -> str:
    try:
        return normalize_name(Requirement(text).name)
    except InvalidRequirement:
        return normalize_name(re.split(r"[^A-Za-z0-9._-]", text, maxsplit=1)[0])


def merge_requested(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """`old` with every package of `new` replaced or added, sorted by name."""
    merged = {_requirement_name(line): line for line in old}
    merged.update({_requirement_name(line): line for line in new})
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


# --------------------------------------------------------------------------- plans


def _change(name: str, old: str | None, new: str | None) -> PackageChange:
    action: ChangeAction
    if old is None:
        action = "install"
    elif new is None:
        action = "remove"
    elif old == new:
        action = "reinstall"
    else:
        try:
            action = "update" if Version(new) > Version(old) else "downgrade"
        except InvalidVersion:
            action = "update"
    return PackageChange(name=name, action=action, source="pypi", old_version=old, new_version=new)


def diff_plan(before: Sequence[Package], after: Sequence[Package], *, dry_run: bool) -> ChangePlan:
    """The changes between two package listings."""
    old = {p.name: p.version for p in before}
    new = {p.name: p.version for p in after}
    changes = [
        _change(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
    return ChangePlan(changes=tuple(changes), dry_run=dry_run)


def plan_from_versions(
    installed: Sequence[Package],
    removed: dict[str, str],
    added: dict[str, str],
    reinstalled: Iterable[str] = (),
) -> ChangePlan:
    """A dry-run plan from the versions a tool says it would remove, add and reinstall."""
    versions = {p.name: p.version for p in installed}
    reinstall = set(reinstalled) - removed.keys() - added.keys()
    changes = [
        _change(name, versions.get(name), versions.get(name))
        if name in reinstall
        else _change(name, removed.get(name), added.get(name))
        for name in sorted(removed.keys() | added.keys() | reinstall)
    ]
    return ChangePlan(changes=tuple(changes), dry_run=True)


# --------------------------------------------------------------------------- locks


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
        match = re.match(r"^#\s*python:\s*(\d+\.\d+(?:\.\d+)?)\s*$", raw.strip())
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
            match = _HASH_RE.match(option)
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


def _distribution_of(filename: str) -> tuple[str, str] | None:
    """(normalised name, version) of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return (normalize_name(parts[0]), parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(suffix):
            name, _, version = filename[: -len(suffix)].rpartition("-")
            return (normalize_name(name), version) if name and version else None
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(functools.partial(stream.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- search


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jupyter-env-manager"


def _parse_project_list(body: bytes, content_type: str) -> list[str]:
    """Project names from a PEP 691 JSON or PEP 503 HTML simple index page."""
    if "json" in content_type:
        data = json.loads(body)
        return [p["name"] for p in data.get("projects", []) if isinstance(p.get("name"), str)]
    return re.findall(r"<a\b[^>]*>\s*([^<\s]+)\s*</a>", body.decode("utf-8", errors="replace"))


def _http_get(url: str, timeout: float) -> tuple[bytes, str]:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in {"http", "https", "file"}:
        raise InvalidRequest(f"Unsupported index URL {url!r}: use http(s) or file.")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read(), response.headers.get("Content-Type", "")


def _rank(query: str, name: str) -> tuple[int, str]:
    return (0 if name == query else 1 if name.startswith(query) else 2, name)


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class InstallOptions:
    """What one install command should do, independent of the tool."""

    requirements: tuple[str, ...] = ()
    requirement_file: Path | None = None
    dry_run: bool = False
    upgrade_all: bool = False
    upgrade: tuple[str, ...] = ()
    no_deps: bool = False


class VenvEngineBase(Engine):
    """Shared behaviour of the PyPI virtual environment engines."""

    kind = "venv"
    #: Name of the tool in messages ("uv", "pip").
    tool: ClassVar[str]

    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        python_request(EnvSpec(conda=list(conda)))
        parse_requirements(pip)

    def __init__(
        self,
        *,
        index_url: str | None = None,
        find_links: list[str] | None = None,
        offline: bool = False,
        search_cache_dir: Path | None = None,
        search_timeout: float = 30.0,
    ) -> None:
        self.index_url = index_url
        self.find_links = [str(link) for link in find_links or []]
        self.offline = offline
        self.search_cache_dir = search_cache_dir or _default_cache_dir()
        self.search_timeout = search_timeout

    # ----------------------------------------------------------------- tool hooks

    @abstractmethod
    async def _make_venv(
        self, prefix: Path, python: str | None, progress: ProgressCallback
    ) -> None:
        """Create an empty venv at `prefix` with the requested Python."""

    @abstractmethod
    def _install_argv(self, python: Path, options: InstallOptions) -> list[str]:
        """The command installing into the venv whose interpreter is `python`."""

    @abstractmethod
    def _uninstall_argv(self, python: Path, names: Sequence[str]) -> list[str]:
        """The command removing `names` from the venv."""

    @abstractmethod
    def _dry_run_plan(self, result: CommandResult, installed: Sequence[Package]) -> ChangePlan:
        """The plan a successful dry-run command printed."""

    @abstractmethod
    def _failure(self, result: CommandResult) -> Exception:
        """The user-facing error for a failed install command."""

    def _index_options(self) -> list[str]:
        """Index flags shared by uv and pip (`--index-url`, `--find-links`, `--no-index`)."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for link in self.find_links:
            args += ["--find-links", link]
        if self.offline and self.find_links and not self.index_url:
            args.append("--no-index")
        return args

    def _where(self) -> str:
        if self.offline and self.find_links and not self.index_url:
            return "the local wheelhouse " + ", ".join(self.find_links)
        places = [self.index_url or DEFAULT_INDEX_URL, *self.find_links]
        suffix = " (offline: only cached packages)" if self.offline else ""
        return ", ".join(places) + suffix

    @staticmethod
    def _child_env() -> dict[str, str]:
        # The server's own PYTHONPATH/PYTHONHOME must not leak into the venv's tools.
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
        env.update({"NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
        return env

    # ----------------------------------------------------------------- running

    async def _run(
        self, argv: Sequence[str | os.PathLike[str]], stage: str, progress: ProgressCallback
    ) -> CommandResult:
        current = [stage]

        def on_line(stream: StreamName, line: str) -> None:
            text = line.strip()
            if not text:
                return
            next_stage, package = self._interpret_line(text)
            if next_stage and next_stage != current[0]:
                current[0] = next_stage
            progress(ProgressEvent(stage=current[0], message=text, package=package))

        try:
            return await run_command(argv, on_line=on_line, env=self._child_env())
        except (FileNotFoundError, PermissionError) as error:
            raise EngineUnavailable(f"Cannot run {argv[0]}: {error}.") from None

    def _interpret_line(self, line: str) -> tuple[str | None, str | None]:
        """(stage the line starts, package it is about), for progress events."""
        return None, None

    def _python_of(self, env: Environment) -> Path:
        python = venv_python(env.prefix)
        if not python.exists():
            raise EnvironmentNotFound(
                f"No Python virtual environment at {env.prefix} (missing {python})."
            )
        return python

    async def _install(
        self,
        python: Path,
        options: InstallOptions,
        progress: ProgressCallback,
        stage: str = "resolve",
    ) -> CommandResult:
        result = await self._run(self._install_argv(python, options), stage, progress)
        if result.returncode != 0:
            error = self._failure(result)
            if isinstance(error, PackagesNotFound) and options.requirements:
                error = await self._all_missing(python, options, error)
            raise error
        return result

    async def _all_missing(
        self, python: Path, options: InstallOptions, first: PackagesNotFound
    ) -> PackagesNotFound:
        """Name every unknown package: tools stop at the first, users fix all at once."""
        missing = set(first.names)
        remaining = list(options.requirements)
        for _ in range(MAX_MISSING_ROUNDS):
            remaining = [r for r in remaining if _requirement_name(r) not in missing]
            if not remaining:
                break
            probe = InstallOptions(requirements=tuple(remaining), dry_run=True)
            result = await self._run(self._install_argv(python, probe), "resolve", ignore_progress)
            error = self._failure(result) if result.returncode else None
            if not isinstance(error, PackagesNotFound) or set(error.names) <= missing:
                break
            missing |= set(error.names)
        return PackagesNotFound(sorted(missing), where=self._where())

    # ----------------------------------------------------------------- prefixes

    @contextlib.asynccontextmanager
    async def _new_prefix(self, prefix: Path):  # type: ignore[no-untyped-def]
        """Remove `prefix` again if making it fails or is cancelled."""
        prefix = Path(prefix)
        if prefix.exists():
            if not prefix.is_dir() or any(prefix.iterdir()):
                raise EnvironmentExists(f"{prefix} already exists.")
            prefix.rmdir()
        try:
            yield prefix
        except BaseException:
            shutil.rmtree(prefix, ignore_errors=True)
            raise

    # ----------------------------------------------------------------- Engine API

    async def create(
        self, prefix: Path, spec: EnvSpec, progress: ProgressCallback = ignore_progress
    ) -> None:
        python_req = python_request(spec)
        requirements = parse_requirements(spec.pip)
        if spec.channels:
            progress(ProgressEvent(stage="create", message="Channels do not apply to a venv."))
        async with self._new_prefix(prefix) as prefix:
            progress(ProgressEvent(stage="create", message=f"Creating venv {prefix}", fraction=0))
            await self._make_venv(prefix, python_req, progress)
            write_requested(prefix, merge_requested([], (str(r) for r in requirements)))
            if requirements:
                progress(ProgressEvent(stage="resolve", message="Resolving", fraction=0.2))
                options = InstallOptions(requirements=tuple(str(r) for r in requirements))
                await self._install(venv_python(prefix), options, progress)
            progress(ProgressEvent(stage="install", message="Done", fraction=1.0))

    async def clone(
        self, source: Environment, prefix: Path, progress: ProgressCallback = ignore_progress
    ) -> None:
        source_python = self._python_of(source)
        installed = list_pip_packages(source.prefix)
        requested = requested_or_guessed(source.prefix, installed)
        async with self._new_prefix(prefix) as prefix:
            progress(ProgressEvent(stage="create", message=f"Cloning {source.prefix}", fraction=0))
            await self._make_venv(prefix, str(source_python), progress)
            write_requested(prefix, requested)
            if installed:
                options = InstallOptions(
                    requirements=tuple(pin.requirement() for pin in pins_of(installed)),
                    no_deps=True,
                )
                await self._install(venv_python(prefix), options, progress, stage="install")
            progress(ProgressEvent(stage="install", message="Done", fraction=1.0))

    async def list_packages(self, env: Environment) -> list[Package]:
        installed = list_pip_packages(env.prefix)
        requested = {_requirement_name(r) for r in requested_or_guessed(env.prefix, installed)}
        return [
            Package(
                name=p.name,
                version=p.version,
                source=p.source,
                url=p.url,
                requested=p.name in requested,
            )
            for p in installed
        ]

    async def install(
        self,
        env: Environment,
        specs: list[str],
        *,
        pip: list[str] | None = None,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        """Install PEP 508 requirements; `specs` and `pip` are both PyPI requirements here."""
        requirements = [str(r) for r in parse_requirements([*specs, *(pip or [])])]
        if not requirements:
            raise InvalidRequest("Name at least one package to install.")
        python = self._python_of(env)
        before = list_pip_packages(env.prefix)
        # Resolve the new requirements together with everything asked for before:
        # uv and pip otherwise only satisfy the new ones and may break the others.
        wanted = merge_requested(requested_or_guessed(env.prefix, before), requirements)
        options = InstallOptions(requirements=tuple(wanted), dry_run=dry_run)
        result = await self._install(python, options, progress)
        if dry_run:
            return self._dry_run_plan(result, before)
        write_requested(env.prefix, wanted)
        return diff_plan(before, list_pip_packages(env.prefix), dry_run=False)

    async def update(
        self,
        env: Environment,
        names: list[str] | None,
        *,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        """Upgrade `names` (or every requested package within the recorded requirements).

        Naming a package lifts its own recorded pin, as `conda update NAME` does: the
        user asked for newer, and the record then keeps the bare name.
        """
        python = self._python_of(env)
        before = list_pip_packages(env.prefix)
        requested = requested_or_guessed(env.prefix, before)
        if names is None:
            options = InstallOptions(
                requirements=tuple(requested), dry_run=dry_run, upgrade_all=True
            )
        else:
            wanted = _check_names(names)
            if not wanted:
                raise InvalidRequest("Name at least one package to update.")
            installed = {p.name for p in before}
            missing = [name for name in wanted if name not in installed]
            if missing:
                raise InvalidRequest(
                    f"Not installed in {env.name}, so cannot be updated: {', '.join(missing)}."
                )
            # Lift the pins of named packages; dependencies stay unrecorded.
            requested = [
                _requirement_name(r) if _requirement_name(r) in wanted else r for r in requested
            ]
            recorded = {_requirement_name(r) for r in requested}
            extra = [name for name in wanted if name not in recorded]
            options = InstallOptions(
                requirements=tuple([*requested, *extra]), dry_run=dry_run, upgrade=tuple(wanted)
            )
        if not options.requirements:
            return ChangePlan(changes=(), dry_run=dry_run)
        result = await self._install(python, options, progress)
        if dry_run:
            return self._dry_run_plan(result, before)
        if names is not None:
            write_requested(env.prefix, requested)
        return diff_plan(before, list_pip_packages(env.prefix), dry_run=False)

    async def uninstall(
        self,
        env: Environment,
        names: list[str],
        *,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        wanted = _check_names(names)
        if not wanted:
            raise InvalidRequest("Name at least one package to remove.")
        python = self._python_of(env)
        before = list_pip_packages(env.prefix)
        versions = {p.name: p.version for p in before}
        missing = [name for name in wanted if name not in versions]
        if missing:
            raise InvalidRequest(f"Not installed in {env.name}: {', '.join(missing)}.")
        if dry_run:
            changes = tuple(_change(name, versions[name], None) for name in sorted(set(wanted)))
            return ChangePlan(changes=changes, dry_run=True)
        requested = requested_or_guessed(env.prefix, before)
        progress(ProgressEvent(stage="remove", message=f"Removing {', '.join(wanted)}"))
        result = await self._run(self._uninstall_argv(python, wanted), "remove", progress)
        if result.returncode != 0:
            raise EngineFailure(f"{self.tool} could not remove packages: {_tail(result)}")
        write_requested(env.prefix, [r for r in requested if _requirement_name(r) not in wanted])
        return diff_plan(before, list_pip_packages(env.prefix), dry_run=False)

    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        """Packages whose name contains `query`: from the wheelhouse when one is set,
        else from the index's project list (cached on disk for a day).

        Index results carry no version (`version == ""`): the project list has
        none, and fetching each project's page would cost a request per hit.
        """
        match = re.match(r"^\s*([A-Za-z0-9._-]+)", query or "")
        if not match:
            raise InvalidRequest("Search needs part of a package name.")
        needle = normalize_name(match.group(1))
        if self.find_links:
            return self._search_wheelhouse(needle)
        if self.offline:
            raise InvalidRequest("Searching PyPI needs the network; this engine is offline.")
        names = await self._index_names()
        hits = sorted({normalize_name(n) for n in names if needle in normalize_name(n)})
        hits.sort(key=lambda name: _rank(needle, name))
        index = self.index_url or DEFAULT_INDEX_URL
        return [
            Package(name=name, version="", source="pypi", channel=index)
            for name in hits[:MAX_INDEX_RESULTS]
        ]

    def _wheelhouse_files(self) -> Iterator[tuple[str, str, Path]]:
        for link in self.find_links:
            directory = Path(link.removeprefix("file://"))
            if not directory.is_dir():
                continue
            for path in directory.iterdir():
                dist = _distribution_of(path.name)
                if dist:
                    yield dist[0], dist[1], path

    def _search_wheelhouse(self, needle: str) -> list[Package]:
        newest: dict[str, str] = {}
        for name, version, _ in self._wheelhouse_files():
            if needle not in name:
                continue
            try:
                if name not in newest or Version(version) > Version(newest[name]):
                    newest[name] = version
            except InvalidVersion:
                continue
        return [
            Package(name=name, version=newest[name], source="pypi", channel="wheelhouse")
            for name in sorted(newest, key=lambda name: _rank(needle, name))
        ]

    async def _index_names(self) -> list[str]:
        url = self.index_url or DEFAULT_INDEX_URL
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        cache = self.search_cache_dir / f"index-projects-{key}.json"
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(cache.read_text())
            if time.time() - data["fetched"] < SEARCH_CACHE_SECONDS and data["url"] == url:
                return list(data["names"])
        try:
            body, content_type = await asyncio.wait_for(
                asyncio.to_thread(_http_get, url, self.search_timeout),
                timeout=self.search_timeout,
            )
            names = _parse_project_list(body, content_type)
        except (asyncio.TimeoutError, TimeoutError):
            raise EngineFailure(
                f"The package index {url} did not answer within {self.search_timeout:g} s; "
                "try again later or configure a closer index."
            ) from None
        except (OSError, ValueError) as error:
            raise EngineFailure(f"Could not read the project list of {url}: {error}.") from None
        self.search_cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": url, "fetched": time.time(), "names": names}))
        tmp.replace(cache)
        return names

    async def export(self, env: Environment, fmt: ExportFormat) -> str:
        installed = list_pip_packages(env.prefix)
        if not installed and not venv_python(env.prefix).exists():
            raise EnvironmentNotFound(f"No Python virtual environment at {env.prefix}.")
        pins = pins_of(installed)
        if fmt == "requirements":
            return "".join(f"{pin.requirement()}\n" for pin in pins)
        if fmt == "lock":
            hashed, note = await self._hashed(pins)
            return format_lock(python_version(env.prefix), hashed, note)
        if fmt in ("yml", "no-builds"):
            return self._environment_yml(env, [pin.requirement() for pin in pins])
        if fmt == "from-history":
            return self._environment_yml(env, requested_or_guessed(env.prefix, installed))
        raise InvalidRequest(
            f"Unknown export format {fmt!r}: use yml, no-builds, from-history, "
            "requirements or lock."
        )

    @staticmethod
    def _environment_yml(env: Environment, pip_lines: list[str]) -> str:
        version = python_version(env.prefix) or ""
        short = ".".join(version.split(".")[:2])
        dependencies: list[object] = [f"python={short}" if short else "python", "pip"]
        if pip_lines:
            dependencies.append({"pip": pip_lines})
        return yaml.safe_dump(
            {"name": env.name, "dependencies": dependencies}, sort_keys=False, width=1000
        )

    async def _hashed(self, pins: list[Pin]) -> tuple[list[Pin], str]:
        """Pins with sha256 hashes for all of them, or the pins unchanged and why."""
        if not pins:
            return pins, "hashes: none needed (no packages)"
        if any(pin.url for pin in pins):
            return pins, "hashes: none (some packages come from direct URLs); versions pinned"
        found: dict[tuple[str, str], list[str]] = {}
        for name, version, path in self._wheelhouse_files():
            found.setdefault((name, version), []).append(_file_sha256(path))
        hashes: dict[str, list[str]] = {}
        for pin in pins:
            for (name, version), digests in found.items():
                if name == pin.name and pin.version and _same_version(version, pin.version):
                    hashes.setdefault(pin.name, []).extend(digests)
        lacking = [pin for pin in pins if pin.name not in hashes]
        if lacking and not self.offline:
            hashes.update(await self._index_hashes(lacking))
        lacking = [pin for pin in pins if pin.name not in hashes]
        if lacking:
            shown = ", ".join(pin.name for pin in lacking[:10])
            return pins, f"hashes: none (no hash found for {shown}); versions pinned"
        with_hashes = [
            Pin(name=pin.name, version=pin.version, hashes=tuple(sorted(set(hashes[pin.name]))))
            for pin in pins
        ]
        return with_hashes, "hashes: sha256 of every distribution file of each pinned version"

    async def _index_hashes(self, pins: list[Pin]) -> dict[str, list[str]]:
        """sha256 of each pin's release files from the index's PEP 691 JSON project pages."""
        base = (self.index_url or DEFAULT_INDEX_URL).rstrip("/") + "/"
        limit = asyncio.Semaphore(8)

        async def one(pin: Pin) -> tuple[str, list[str]]:
            async with limit:
                try:
                    body, content_type = await asyncio.to_thread(
                        _http_get, f"{base}{pin.name}/", self.search_timeout
                    )
                    files = json.loads(body).get("files", []) if "json" in content_type else []
                except (OSError, ValueError):
                    return pin.name, []
            digests = []
            for entry in files:
                dist = _distribution_of(str(entry.get("filename", "")))
                digest = (entry.get("hashes") or {}).get("sha256")
                if dist and digest and pin.version and _same_version(dist[1], pin.version):
                    digests.append(digest)
            return pin.name, digests

        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(one(pin) for pin in pins)), timeout=self.search_timeout * 2
            )
        except asyncio.TimeoutError:
            return {}
        return {name: digests for name, digests in results if digests}

    async def create_from_lock(
        self, prefix: Path, lock_text: str, progress: ProgressCallback = ignore_progress
    ) -> None:
        python, pins = parse_lock(lock_text)
        python_req = ".".join(python.split(".")[:2]) if python else None
        async with self._new_prefix(prefix) as prefix:
            progress(ProgressEvent(stage="create", message=f"Creating venv {prefix}", fraction=0))
            await self._make_venv(prefix, python_req, progress)
            if pins:
                with tempfile.TemporaryDirectory(prefix="jem-lock-") as tmp:
                    lock_file = Path(tmp) / "requirements.lock"
                    lock_file.write_text("".join(f"{pin.requirement()}\n" for pin in pins))
                    options = InstallOptions(requirement_file=lock_file, no_deps=True)
                    await self._install(venv_python(prefix), options, progress, stage="install")
            progress(ProgressEvent(stage="install", message="Done", fraction=1.0))


def _tail(result: CommandResult, lines: int = 15) -> str:
    text = (result.stderr or result.stdout).strip().splitlines()
    return "\n".join(text[-lines:]) or f"exit code {result.returncode}"


# --------------------------------------------------------------------------- uv

_UV_CHANGE_RE = re.compile(r"^\s*([+\-~])\s+([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*(?:==|@)\s*(\S+)")
_UV_MISSING_RE = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the "
    r"(?:package registry|provided package locations|cache)"
)
_NETWORK_RE = re.compile(
    r"(Failed to fetch|error sending request|dns error|Connection refused|"
    r"timed out|Could not connect|Network is unreachable)",
    re.IGNORECASE,
)


def clean_uv_error(text: str) -> str:
    """uv's explanation without its progress chatter and `error:`/`cause:` labels."""
    kept = []
    started = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("error:"):
            started = True
        if not started or not line.strip():
            continue
        line = re.sub(r"^\s*(error|cause|Caused by):\s*", "", line)
        kept.append(line.strip())
    return "\n".join(kept[:40]) or text.strip()


class UvEngine(VenvEngineBase):
    """PyPI virtual environments made and filled by uv (never downloads a Python)."""

    name = "uv"
    tool = "uv"

    def __init__(
        self,
        *,
        uv_path: str | None = None,
        index_url: str | None = None,
        find_links: list[str] | None = None,
        offline: bool = False,
        cache_dir: Path | None = None,
        search_cache_dir: Path | None = None,
        search_timeout: float = 30.0,
    ) -> None:
        super().__init__(
            index_url=index_url,
            find_links=find_links,
            offline=offline,
            search_cache_dir=search_cache_dir,
            search_timeout=search_timeout,
        )
        self.uv_path = uv_path or uv_binary()
        self.cache_dir = cache_dir

    @classmethod
    def is_available(cls) -> bool:
        return uv_binary() is not None

    def version(self) -> str | None:
        return tool_version(self.uv_path, "uv") if self.uv_path else None

    def _uv(self, *args: str | os.PathLike[str]) -> list[str]:
        if not self.uv_path:
            raise EngineUnavailable("uv is not installed: `pip install uv` or use the venv engine.")
        argv = [self.uv_path]
        if self.cache_dir:
            argv += ["--cache-dir", os.fspath(self.cache_dir)]
        if self.offline:
            argv.append("--offline")
        return argv + [os.fspath(a) for a in args]

    async def _make_venv(
        self, prefix: Path, python: str | None, progress: ProgressCallback
    ) -> None:
        # Only interpreters already on the machine (system ones, or uv-managed ones
        # installed earlier): a venv must never trigger a Python download, and a
        # missing version is the user's to fix.
        argv = self._uv(
            "venv",
            "--no-python-downloads",
            "--no-config",
            "--python",
            python or sys.executable,
            prefix,
        )
        result = await self._run(argv, "create", progress)
        if result.returncode == 0:
            return
        if "No interpreter found" in result.stderr:
            found = await self._python_versions()
            raise InvalidRequest(
                f"Python {python} is not installed on this machine; found: "
                f"{', '.join(found) or 'none'}."
            )
        raise EngineFailure(f"uv could not create the venv: {clean_uv_error(result.stderr)}")

    async def _python_versions(self) -> list[str]:
        argv = self._uv(
            "python", "list", "--only-installed", "--no-python-downloads", "--output-format", "json"
        )
        result = await run_command(argv, env=self._child_env())
        try:
            entries = json.loads(result.stdout)
        except ValueError:
            return []
        versions = {str(e.get("version")) for e in entries if e.get("version")}
        return sorted(versions, key=lambda v: Version(v) if _valid(v) else Version("0"))

    def _install_argv(self, python: Path, options: InstallOptions) -> list[str]:
        args: list[str | os.PathLike[str]] = ["pip", "install", "--python", python]
        if options.dry_run:
            args.append("--dry-run")
        if options.upgrade_all:
            args.append("--upgrade")
        for name in options.upgrade:
            args += ["--upgrade-package", name]
        if options.no_deps:
            args.append("--no-deps")
        args += self._index_options()
        if options.requirement_file:
            args += ["--requirements", options.requirement_file]
        args += options.requirements
        return self._uv(*args)

    def _uninstall_argv(self, python: Path, names: Sequence[str]) -> list[str]:
        return self._uv("pip", "uninstall", "--python", python, *names)

    def _interpret_line(self, line: str) -> tuple[str | None, str | None]:
        if line.startswith(("Resolved ", "Prepared ", "Would download")):
            return "install", None
        match = _UV_CHANGE_RE.match(line)
        if match:
            return "install", normalize_name(match.group(2))
        return None, None

    def _dry_run_plan(self, result: CommandResult, installed: Sequence[Package]) -> ChangePlan:
        removed: dict[str, str] = {}
        added: dict[str, str] = {}
        reinstalled: list[str] = []
        for line in (result.stderr + "\n" + result.stdout).splitlines():
            match = _UV_CHANGE_RE.match(line)
            if not match:
                continue
            sign, name, version = match.group(1), normalize_name(match.group(2)), match.group(3)
            if sign == "+":
                added[name] = version
            elif sign == "-":
                removed[name] = version
            else:
                reinstalled.append(name)
        return plan_from_versions(installed, removed, added, reinstalled)

    def _failure(self, result: CommandResult) -> Exception:
        text = result.stderr
        explanation = clean_uv_error(text)
        missing = _UV_MISSING_RE.findall(text)
        if missing:
            return PackagesNotFound(
                sorted({normalize_name(n) for n in missing}), where=self._where()
            )
        if "No solution found" in text or "unsatisfiable" in text:
            return Unsatisfiable(explanation, details={"tool": "uv"})
        if _NETWORK_RE.search(text):
            return EngineFailure(
                f"Could not reach the package index ({self._where()}): {explanation}"
            )
        return EngineFailure(f"uv failed (exit {result.returncode}): {explanation}")


def _valid(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True
