"""What the PyPI virtual environment engines share, so each tool's engine only
says how to make a venv, which command lines install and remove packages, and how
to read the tool's output and errors.

`VenvEngineBase` holds the rest: checking requirements, recording what the user
asked for, computing change plans, exports, locks, search and cleanup of
half-made prefixes. `UvEngine` (uv) and `VenvPipEngine` (venv + pip) subclass it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import yaml

from ..errors import (
    EngineFailure,
    EngineUnavailable,
    EnvironmentExists,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
)
from ..models import (
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
from ..package_set import PackageSet, pypi_pins
from ..pypi_requirements import pypi_requirements
from ..site_packages import list_pip_packages, normalize_name, python_version, site_packages_dirs
from ..subprocess_runner import CommandResult, StreamName, run_command
from ..versions import pypi_newer
from .base import Engine
from .install_journal import Journal, clear_journal, write_journal
from .pypi_index import (
    DEFAULT_INDEX_URL,
    default_search_cache_dir,
    index_hashes,
    search_index,
    search_wheelhouse,
    wheelhouse_files,
)
from .pypi_lock import Pin, file_sha256, format_lock, parse_lock, pins_of, same_version
from .venv_state import (
    REQUESTED_FILE,
    STATE_DIR,
    merge_requested,
    requested_or_guessed,
    requirement_name,
    venv_python,
    write_requested,
)

# How many extra dry runs are spent to name every missing package, not only the first.
MAX_MISSING_ROUNDS = 5

_NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_PY_VERSION_RE = re.compile(r"(?:python)?(\d+(?:\.\d+){0,2})")
_PY_CLAUSE = r"(?:[<>=!~]=?|===?)\s*[0-9][0-9.*]*"
_PY_SPECIFIER_RE = re.compile(rf"{_PY_CLAUSE}(\s*,\s*{_PY_CLAUSE})*")


# --------------------------------------------------------------------------- input checks


def _check_names(names: Iterable[str]) -> list[str]:
    checked = []
    for name in names:
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise InvalidRequest(f"Not a package name: {name!r}.")
        checked.append(normalize_name(name))
    return checked


def _python_entry(item: str) -> str | None:
    """The version part of a `python...` package entry (`python=3.11` -> "3.11",
    bare `python` -> ""), or None for any other package."""
    match = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*(.*)", item or "", re.DOTALL)
    if not match or normalize_name(match.group(1)) != "python":
        return None
    # conda's `python=3.11` and `python=3.11.*` mean "some 3.11".
    return re.sub(r"^=(?!=)", "", match.group(2).strip()).removesuffix(".*")


def venv_request(spec: EnvSpec) -> tuple[str | None, list[str]]:
    """(Python asked for, PyPI requirements) of a venv spec.

    With a PyPI engine the package list (`spec.conda`, what `create NAME PKG...` and
    REST `packages` fill) holds PyPI requirements too, joined to `spec.pip`; only
    what cannot be a requirement (conda syntax) is refused, saying how to write it.
    A `python` entry picks the interpreter, and a bare `pip` entry is skipped:
    environment.yml files list it only to enable their `pip:` section.
    """
    request = spec.python
    packages = []
    for item in spec.conda:
        python = _python_entry(item)
        if python is not None:
            request = request or python or None
        elif normalize_name(str(item).strip()) != "pip":
            packages.append(item)
    requirements = [str(r) for r in pypi_requirements([*packages, *spec.pip])]
    return _python_version(request), requirements


def _python_version(request: str | None) -> str | None:
    if request is None:
        return None
    request = request.strip()
    if "/" in request or "\\" in request:
        if not Path(request).is_file():
            raise InvalidRequest(f"No Python interpreter at {request}.")
        return request
    if _PY_VERSION_RE.fullmatch(request) or _PY_SPECIFIER_RE.fullmatch(request):
        return request.removeprefix("python")
    raise InvalidRequest(
        f"Invalid Python version {request!r}: use a version such as '3.11' or a path."
    )


# --------------------------------------------------------------------------- plans


def _change(name: str, old: str | None, new: str | None) -> PackageChange:
    return PackageChange.between(name, old, new, "pypi", pypi_newer)


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
        venv_request(EnvSpec(conda=list(conda), pip=list(pip)))

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
        self.search_cache_dir = search_cache_dir or default_search_cache_dir()
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
            remaining = [r for r in remaining if requirement_name(r) not in missing]
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
        python_req, requirements = venv_request(spec)
        if spec.channels:
            progress(ProgressEvent(stage="create", message="Channels do not apply to a venv."))
        async with self._new_prefix(prefix) as prefix:
            progress(ProgressEvent(stage="create", message=f"Creating venv {prefix}", fraction=0))
            await self._make_venv(prefix, python_req, progress)
            write_requested(prefix, merge_requested([], requirements))
            if requirements:
                progress(ProgressEvent(stage="resolve", message="Resolving", fraction=0.2))
                options = InstallOptions(requirements=tuple(requirements))
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
        requested = {requirement_name(r) for r in requested_or_guessed(env.prefix, installed)}
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
        requirements = [str(r) for r in pypi_requirements([*specs, *(pip or [])])]
        if not requirements:
            raise InvalidRequest("Name at least one package to install.")
        python = self._python_of(env)
        before = list_pip_packages(env.prefix)
        # Resolve the new requirements together with everything asked for before:
        # uv and pip otherwise only satisfy the new ones and may break the others.
        wanted = merge_requested(requested_or_guessed(env.prefix, before), requirements)
        options = InstallOptions(requirements=tuple(wanted), dry_run=dry_run)
        if dry_run:
            return self._dry_run_plan(await self._install(python, options, progress), before)
        async with self._journaled(env.prefix, "install", progress):
            await self._install(python, options, progress)
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
                requirement_name(r) if requirement_name(r) in wanted else r for r in requested
            ]
            recorded = {requirement_name(r) for r in requested}
            extra = [name for name in wanted if name not in recorded]
            options = InstallOptions(
                requirements=tuple([*requested, *extra]), dry_run=dry_run, upgrade=tuple(wanted)
            )
        if not options.requirements:
            return ChangePlan(changes=(), dry_run=dry_run)
        if dry_run:
            return self._dry_run_plan(await self._install(python, options, progress), before)
        async with self._journaled(env.prefix, "update", progress):
            await self._install(python, options, progress)
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
        async with self._journaled(env.prefix, "uninstall", progress):
            await self._uninstall(python, wanted, progress)
            write_requested(env.prefix, [r for r in requested if requirement_name(r) not in wanted])
        return diff_plan(before, list_pip_packages(env.prefix), dry_run=False)

    async def _uninstall(
        self, python: Path, names: Sequence[str], progress: ProgressCallback
    ) -> None:
        result = await self._run(self._uninstall_argv(python, names), "remove", progress)
        if result.returncode != 0:
            raise EngineFailure(f"{self.tool} could not remove packages: {_tail(result)}")

    # ----------------------------------------------------------------- journal, restore

    @contextlib.asynccontextmanager
    async def _journaled(self, prefix: Path, operation: str, progress: ProgressCallback):  # type: ignore[no-untyped-def]
        """Journal a change (see install_journal.py); a change that fails or is
        cancelled halfway is undone at once, one killed with its process later."""
        requested = prefix / STATE_DIR / REQUESTED_FILE
        sites = site_packages_dirs(prefix)
        write_journal(
            prefix,
            Journal(
                operation=operation,
                engine=self.name,
                before=self.package_set(prefix),
                requested=requested.read_text() if requested.is_file() else None,
                site_entries=tuple(sorted(p.name for p in sites[0].iterdir())) if sites else None,
            ),
        )
        try:
            yield
        except BaseException:
            # The tool has stopped (run_command kills it on cancel): undo what it did.
            # Shielded, so a second cancel cannot leave the undo itself half done.
            await asyncio.shield(self.recover(prefix, progress))
            raise
        clear_journal(prefix)

    async def restore_package_set(
        self,
        prefix: Path,
        package_set: PackageSet,
        *,
        journal: Journal | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> None:
        """Uninstall what the set lacks (and packages missing files of their RECORD),
        install its pins without dependencies, and, after an interrupted change, delete
        top-level site-packages entries the change made and restore requested.txt."""
        if package_set.kind != "venv":
            raise InvalidRequest("A virtual environment takes a PyPI package set.")
        prefix = Path(prefix)
        python = venv_python(prefix)
        if not python.exists():
            raise EnvironmentNotFound(f"No Python virtual environment at {prefix}.")
        wanted = package_set.versions()
        installed = {p.name for p in list_pip_packages(prefix)}
        drop = sorted((installed - wanted.keys()) | _broken_distributions(prefix))
        if drop:
            progress(ProgressEvent(stage="restore", message=f"Removing {', '.join(drop)}"))
            await self._uninstall(python, drop, progress)
        if set(pypi_pins(prefix)) != set(package_set.pypi):
            with tempfile.TemporaryDirectory(prefix="jem-restore-") as tmp:
                lock_file = Path(tmp) / "requirements.lock"
                lock_file.write_text("".join(f"{line}\n" for line in package_set.pypi))
                options = InstallOptions(requirement_file=lock_file, no_deps=True)
                await self._install(python, options, progress, stage="restore")
        if journal is None:
            return
        sites = site_packages_dirs(prefix)
        if sites and journal.site_entries is not None:
            for entry in sorted(
                set(p.name for p in sites[0].iterdir()) - set(journal.site_entries)
            ):
                path = sites[0] / entry
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        requested = prefix / STATE_DIR / REQUESTED_FILE
        now = requested.read_text() if requested.is_file() else None
        if journal.requested is None:
            requested.unlink(missing_ok=True)
        elif now != journal.requested:  # untouched files keep their times
            requested.parent.mkdir(parents=True, exist_ok=True)
            requested.write_text(journal.requested)

    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        """Packages whose name contains `query`: from the wheelhouse when one is set,
        else from the index's project list (cached on disk for a day).

        Index results carry no version (`version == ""`); `search_index` says why.
        """
        match = re.match(r"^\s*([A-Za-z0-9._-]+)", query or "")
        if not match:
            raise InvalidRequest("Search needs part of a package name.")
        needle = normalize_name(match.group(1))
        if self.find_links:
            return search_wheelhouse(self.find_links, needle)
        if self.offline:
            raise InvalidRequest("Searching PyPI needs the network; this engine is offline.")
        return await search_index(
            needle,
            index_url=self.index_url,
            cache_dir=self.search_cache_dir,
            timeout=self.search_timeout,
        )

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
        for name, version, path in wheelhouse_files(self.find_links):
            found.setdefault((name, version), []).append(file_sha256(path))
        hashes: dict[str, list[str]] = {}
        for pin in pins:
            for (name, version), digests in found.items():
                if name == pin.name and pin.version and same_version(version, pin.version):
                    hashes.setdefault(pin.name, []).extend(digests)
        lacking = [pin for pin in pins if pin.name not in hashes]
        if lacking and not self.offline:
            hashes.update(await index_hashes(self.index_url, lacking, self.search_timeout))
        lacking = [pin for pin in pins if pin.name not in hashes]
        if lacking:
            shown = ", ".join(pin.name for pin in lacking[:10])
            return pins, f"hashes: none (no hash found for {shown}); versions pinned"
        with_hashes = [
            Pin(name=pin.name, version=pin.version, hashes=tuple(sorted(set(hashes[pin.name]))))
            for pin in pins
        ]
        return with_hashes, "hashes: sha256 of every distribution file of each pinned version"

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


def _broken_distributions(prefix: Path) -> set[str]:
    """Installed distributions missing files their RECORD lists (an install or removal
    cut short): reinstalled whole rather than trusted."""
    broken = set()
    for site in site_packages_dirs(prefix):
        for record in site.glob("*.dist-info/RECORD"):
            try:
                lines = record.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                path = line.split(",")[0].strip()
                if not path or path.startswith(("..", "/")):
                    continue  # scripts outside site-packages are not checked
                if not os.path.lexists(site / path):
                    name = record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]
                    broken.add(normalize_name(name))
                    break
    return broken


def _tail(result: CommandResult, lines: int = 15) -> str:
    text = (result.stderr or result.stdout).strip().splitlines()
    return "\n".join(text[-lines:]) or f"exit code {result.returncode}"
