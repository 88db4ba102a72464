"""The embedded conda engine: solves and installs with py-rattler, no conda needed.

Prefixes it makes are ordinary conda prefixes (`conda-meta/*.json` records plus a
conda-format `conda-meta/history`), so conda, mamba and the environment listing
read them like any other.

This module holds the engine's operations; the pieces they are built from live
beside it: input checks (rattler_specs), channel queries and search
(rattler_repodata), linking that survives cancellation (rattler_install, with
rattler_progress), record helpers and plans (rattler_records) and the pip layer
(rattler_pip).

Behaviour worth knowing (and why):

- New prefixes are staged and renamed into place, and in-place changes finish
  even when cancelled: see rattler_install. A cancelled pip step is stopped at
  once (uv is a child process).
- Uninstall behaves like conda: packages that depend on a removed package are
  removed too (transitively). Refusing instead would force users to find the
  dependents themselves; the dry-run plan lists them before anything changes.
  Everything else stays exactly as installed (no re-solve, so it also works when
  the original channel is gone).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..conda_export import (
    parse_lock,
    pip_requirement,
    render_from_history,
    render_lock,
    render_requirements,
    render_yml,
)
from ..conda_prefix import append_history, list_all_packages, read_history, read_records, spec_name
from ..errors import (
    EngineFailure,
    EnvironmentExists,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from ..models import (
    EXPORT_FORMATS,
    ChangePlan,
    Environment,
    EnvKind,
    EnvSpec,
    ExportFormat,
    Package,
    PackageChange,
    ProgressCallback,
    ProgressEvent,
    ignore_progress,
)
from ..package_set import PackageSet
from ..site_packages import list_pip_packages, normalize_name
from .base import Engine
from .install_journal import Journal, clear_journal, write_journal
from .rattler_channel_errors import channel_error
from .rattler_install import StagingCleanups, change_prefix, link_new_prefix, settles
from .rattler_pip import pip_install, pip_uninstall
from .rattler_records import (
    COMMAND,
    diff_records,
    history_entry,
    record_name,
    with_dependents,
)
from .rattler_repodata import query_records, search_channels
from .rattler_restore import restore_conda_records
from .rattler_specs import parse_specs, python_spec, validate_channels, validate_pip

try:  # rattler is a dependency, but the engine must report unavailability, not crash.
    import rattler
    from rattler import Gateway, PrefixRecord, Subdir
    from rattler.exceptions import GatewayError, SolverError
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    rattler = None  # type: ignore[assignment]


def default_cache_dir() -> Path:
    """Where packages and repodata are cached: the user's cache folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jupyter-env-manager" / "rattler"


class RattlerEngine(Engine):
    name: ClassVar[str] = "rattler"
    kind: ClassVar[EnvKind] = "conda"

    def __init__(
        self,
        *,
        channels: list[str] | None = None,
        cache_dir: Path | None = None,
        platform: str | None = None,
    ) -> None:
        self.channels: list[str] = list(channels) if channels else ["conda-forge"]
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.platform = platform or str(Subdir.current())
        try:
            Subdir(self.platform)
        except Exception as exc:  # rattler raises its own parse error type
            raise InvalidRequest(f"Unknown conda platform {self.platform!r}: {exc}") from None
        # Background cleanups of staging folders whose rattler work outlived a cancel.
        self._cleanups = StagingCleanups()
        self._virtual_packages: list[Any] | None = None

    # ------------------------------------------------------------------ basics

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec("rattler") is not None

    def version(self) -> str | None:
        return getattr(rattler, "__version__", None) if rattler is not None else None

    @property
    def packages_dir(self) -> Path:
        return self.cache_dir / "pkgs"

    @property
    def repodata_dir(self) -> Path:
        return self.cache_dir / "repodata"

    def _platforms(self) -> list[str]:
        return [self.platform, "noarch"]

    def _gateway(self) -> Gateway:
        # One gateway per operation: its in-memory repodata never goes stale in a
        # long-running server, while the on-disk cache still avoids refetching.
        return Gateway(cache_dir=self.repodata_dir)

    def _virtuals(self) -> list[Any]:
        if self.platform != str(Subdir.current()):
            return []
        if self._virtual_packages is None:
            self._virtual_packages = rattler.VirtualPackage.detect()
        return self._virtual_packages

    async def drain(self) -> None:
        """Wait until staging folders left by cancelled creates are deleted."""
        await self._cleanups.drain()

    # ------------------------------------------------------------ validation

    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        parse_specs(conda)
        validate_pip(pip)

    @staticmethod
    def _ensure_new_prefix(prefix: Path) -> None:
        if prefix.exists() and (not prefix.is_dir() or any(prefix.iterdir())):
            raise EnvironmentExists(f"{prefix} already exists and is not empty.")

    @staticmethod
    def _ensure_env(prefix: Path) -> None:
        if not (prefix / "conda-meta").is_dir():
            raise EnvironmentNotFound(f"{prefix} is not a conda environment (no conda-meta).")

    # ------------------------------------------------------------------ solving

    async def _solve(
        self,
        specs: Sequence[str],
        channels: Sequence[str],
        *,
        locked: Sequence[Any] = (),
        progress: ProgressCallback = ignore_progress,
    ) -> list[Any]:
        match_specs = parse_specs(specs)
        channels = validate_channels(channels)
        if not match_specs:
            return []
        progress(ProgressEvent("solve", f"Solving {', '.join(specs)}", 0.0))
        gateway = self._gateway()
        wanted = {spec_name(s) for s in specs} - {record_name(r) for r in locked}
        wanted = {n for n in wanted if not n.startswith("__")}  # virtual packages
        if wanted:
            known = await query_records(gateway, channels, self._platforms(), wanted)
            found = {record_name(r) for r in known}
            missing = sorted(wanted - found)
            if missing:
                raise PackagesNotFound(missing, where=", ".join(channels))
        try:
            records = await rattler.solve(
                channels,
                match_specs,
                gateway=gateway,
                platforms=self._platforms(),
                locked_packages=list(locked),
                virtual_packages=self._virtuals(),
                channel_relations="disabled",
            )
        except SolverError as exc:
            raise Unsatisfiable(str(exc).strip()) from None
        except GatewayError as exc:
            raise channel_error(exc, channels) from None
        progress(ProgressEvent("solve", f"Solved: {len(records)} packages", 1.0))
        return records

    # ------------------------------------------------------------- installing

    async def _materialize(
        self,
        prefix: Path,
        records: Sequence[Any],
        progress: ProgressCallback,
        *,
        command: str,
        update_specs: Sequence[str],
    ) -> None:
        """Install `records` into a new prefix atomically (staging folder + rename)."""

        def write_history(staging: Path) -> None:
            append_history(
                staging,
                command=command,
                added=[history_entry(r) for r in records],
                update_specs=update_specs,
                tool="rattler",
                tool_version=self.version() or "",
            )

        await link_new_prefix(
            prefix,
            records,
            progress,
            packages_dir=self.packages_dir,
            platform=self.platform,
            cleanups=self._cleanups,
            write_history=write_history,
        )

    def _installed(self, prefix: Path) -> list[Any]:
        try:
            return [
                PrefixRecord.from_path(p) for p in sorted((prefix / "conda-meta").glob("*.json"))
            ]
        except Exception as exc:
            raise EngineFailure(f"Cannot read the conda-meta records of {prefix}: {exc}") from None

    # ------------------------------------------------------------- operations

    @settles
    async def create(
        self, prefix: Path, spec: EnvSpec, progress: ProgressCallback = ignore_progress
    ) -> None:
        prefix = Path(prefix)
        specs = [*spec.conda, *python_spec(spec.python)]
        parse_specs(specs)
        pip = validate_pip(spec.pip)
        if pip and not any(spec_name(s) == "python" for s in specs):
            raise InvalidRequest("pip packages need Python: add 'python' to the conda packages.")
        self._ensure_new_prefix(prefix)
        records = await self._solve(specs, spec.channels or self.channels, progress=progress)
        await self._materialize(
            prefix,
            records,
            progress,
            command=f"{COMMAND} create --prefix {prefix} {' '.join(specs)}".rstrip(),
            update_specs=specs,
        )
        await self._after_create_pip(prefix, pip, progress)

    async def _after_create_pip(
        self, prefix: Path, requirements: list[str], progress: ProgressCallback
    ) -> None:
        if not requirements:
            return
        try:
            await pip_install(prefix, requirements, progress, dry_run=False)
        except BaseException:
            # The prefix is ours and only half done; uv has been stopped already.
            shutil.rmtree(prefix, ignore_errors=True)
            raise

    @settles
    async def clone(
        self, source: Environment, prefix: Path, progress: ProgressCallback = ignore_progress
    ) -> None:
        prefix = Path(prefix)
        self._ensure_env(source.prefix)
        self._ensure_new_prefix(prefix)
        records = self._installed(source.prefix)
        history = read_history(source.prefix)
        pip = [pip_requirement(p) for p in list_pip_packages(source.prefix)]
        progress(ProgressEvent("solve", f"Cloning {len(records)} packages from {source.prefix}"))
        await self._materialize(
            prefix,
            records,
            progress,
            command=f"{COMMAND} create --clone {source.prefix} --prefix {prefix}",
            update_specs=list(history.conda.values()),
        )
        await self._after_create_pip(prefix, pip, progress)

    async def list_packages(self, env: Environment) -> list[Package]:
        self._ensure_env(env.prefix)
        return list_all_packages(env.prefix)

    @settles
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
        prefix = env.prefix
        self._ensure_env(prefix)
        specs = list(specs or [])
        parse_specs(specs)  # rejects non-strings and blanks before stripping
        specs = [s.strip() for s in specs]
        requirements = validate_pip(pip)
        if not specs and not requirements:
            raise InvalidRequest("Nothing to install: give conda specs or pip requirements.")
        installed = self._installed(prefix)
        changes: list[PackageChange] = []
        if specs:
            history = read_history(prefix)
            targets = {spec_name(s) for s in specs}
            # Every installed package stays required (as the user last asked for it)
            # and locked to its current build, so only what must move moves.
            keep = [history.conda.get(record_name(r), record_name(r)) for r in installed]
            keep = [s for s in keep if spec_name(s) not in targets]
            new = await self._solve(
                [*keep, *specs], channels or self.channels, locked=installed, progress=progress
            )
            changes += diff_records(installed, new)
            if not dry_run:
                await self._apply(prefix, new, installed, progress, update_specs=specs)
        if requirements:
            changes += await pip_install(prefix, requirements, progress, dry_run=dry_run)
        return ChangePlan(tuple(changes), dry_run)

    async def _apply(
        self,
        prefix: Path,
        new: Sequence[Any],
        installed: Sequence[Any],
        progress: ProgressCallback,
        *,
        update_specs: Sequence[str] = (),
        remove_specs: Sequence[str] = (),
        command: str = "",
    ) -> None:
        before = {r.url: r for r in installed}
        after = {r.url: r for r in new}
        added = [history_entry(r) for url, r in after.items() if url not in before]
        removed = [history_entry(r) for url, r in before.items() if url not in after]
        verb = "remove" if remove_specs else "install"
        specs = list(update_specs) or list(remove_specs)

        def write_history() -> None:
            append_history(
                prefix,
                command=command or f"{COMMAND} {verb} --prefix {prefix} {' '.join(specs)}",
                added=added,
                removed=removed,
                update_specs=update_specs,
                remove_specs=remove_specs,
                tool="rattler",
                tool_version=self.version() or "",
            )

        if not added and not removed:
            write_history()  # still records what the user asked for
            return
        journal = Journal(
            operation=verb,
            engine=self.name,
            before=self.package_set(prefix),
            target=tuple(_summary(r) for r in new if r.url not in before),
            history_size=_history_size(prefix),
        )
        write_journal(prefix, journal)
        try:
            await change_prefix(
                prefix,
                new,
                installed,
                progress,
                write_history,
                packages_dir=self.packages_dir,
                platform=self.platform,
            )
        except asyncio.CancelledError:
            clear_journal(prefix)  # change_prefix let the change land before re-raising
            raise
        except Exception:
            # Failed halfway (a download, a full disk): back to what it was, then say
            # why. If even that fails the journal stays, and the next operation retries.
            progress(ProgressEvent("restore", f"Putting {prefix} back as it was"))
            await self.recover(prefix, progress)
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
        if package_set.kind != "conda":
            raise InvalidRequest("A conda prefix takes a conda package set.")
        prefix = Path(prefix)
        self._ensure_env(prefix)
        await restore_conda_records(
            prefix,
            package_set.conda,
            packages_dir=self.packages_dir,
            platform=self.platform,
            interrupted=journal.target if journal else (),
            cached_in=[Path(d) for d in journal.package_dirs] if journal else (),
            progress=progress,
        )
        if journal and journal.history_size is not None:
            _truncate_history(prefix, journal.history_size)

    @settles
    async def update(
        self,
        env: Environment,
        names: list[str] | None,
        *,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        prefix = env.prefix
        self._ensure_env(prefix)
        installed = self._installed(prefix)
        history = read_history(prefix)
        installed_names = {record_name(r) for r in installed}
        if names is None:
            targets = set(installed_names)
        else:
            targets = {n.strip().lower() for n in names if isinstance(n, str) and n.strip()}
            if not targets:
                raise InvalidRequest("Name the packages to update, or update all of them.")
            unknown = sorted(targets - installed_names)
            if unknown:
                raise InvalidRequest(f"Not installed in {prefix}: {', '.join(unknown)}.")
        if not installed:
            return ChangePlan((), dry_run)
        if names is None:
            # Everything may move, within what the user asked for.
            specs = [history.conda.get(n, n) for n in sorted(installed_names)]
            locked: list[Any] = []
        else:
            specs = [
                n if n in targets else history.conda.get(n, n) for n in sorted(installed_names)
            ]
            locked = [r for r in installed if record_name(r) not in targets]
        new = await self._solve(specs, channels or self.channels, locked=locked, progress=progress)
        changes = diff_records(installed, new)
        if dry_run or not changes:
            return ChangePlan(tuple(changes), dry_run)
        # A requested spec the new version no longer satisfies is replaced by the
        # bare name, so from-history stays true to what is installed.
        relaxed = []
        for record in new:
            old_spec = history.conda.get(record_name(record))
            if (
                old_spec
                and record_name(record) in targets
                and not record.matches(parse_specs([old_spec])[0])
            ):
                relaxed.append(record_name(record))
        await self._apply(
            prefix,
            new,
            installed,
            progress,
            update_specs=relaxed,
            command=f"{COMMAND} update --prefix {prefix} {' '.join(sorted(targets))}",
        )
        return ChangePlan(tuple(changes), dry_run)

    @settles
    async def uninstall(
        self,
        env: Environment,
        names: list[str],
        *,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        prefix = env.prefix
        self._ensure_env(prefix)
        wanted = [n.strip() for n in names or [] if isinstance(n, str) and n.strip()]
        if not wanted:
            raise InvalidRequest("Name the packages to remove.")
        installed = self._installed(prefix)
        by_name = {record_name(r): r for r in installed}
        pip_installed = {p.name: p for p in list_pip_packages(prefix)}
        conda_targets = {n.lower() for n in wanted if n.lower() in by_name}
        pip_targets = {
            normalize_name(n)
            for n in wanted
            if n.lower() not in by_name and normalize_name(n) in pip_installed
        }
        unknown = [
            n for n in wanted if n.lower() not in by_name and normalize_name(n) not in pip_installed
        ]
        if unknown:
            raise InvalidRequest(f"Not installed in {prefix}: {', '.join(sorted(unknown))}.")

        removed = with_dependents(conda_targets, installed)
        remaining = [r for r in installed if record_name(r) not in removed]
        changes = diff_records(installed, remaining)
        changes += [
            PackageChange(n, "remove", "pypi", pip_installed[n].version, None)
            for n in sorted(pip_targets)
        ]
        if dry_run:
            return ChangePlan(tuple(changes), dry_run)
        if removed:
            history = read_history(prefix)
            remove_specs = [n for n in sorted(removed) if n in conda_targets or n in history.conda]
            progress(ProgressEvent("unlink", f"Removing {', '.join(sorted(removed))}"))
            await self._apply(prefix, remaining, installed, progress, remove_specs=remove_specs)
        if pip_targets:
            await pip_uninstall(prefix, sorted(pip_targets), progress)
        return ChangePlan(tuple(changes), dry_run)

    @settles
    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        if not isinstance(query, str) or not query.strip():
            raise InvalidRequest("Search needs a package name or match spec.")
        query = query.strip()
        sources = validate_channels(channels or self.channels)
        return await search_channels(self._gateway(), sources, self._platforms(), query)

    async def export(self, env: Environment, fmt: ExportFormat) -> str:
        prefix = env.prefix
        self._ensure_env(prefix)
        if fmt not in EXPORT_FORMATS:
            raise InvalidRequest(
                f"Unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}."
            )
        if fmt == "yml":
            return render_yml(env.name, prefix, builds=True)
        if fmt == "no-builds":
            return render_yml(env.name, prefix, builds=False)
        if fmt == "from-history":
            return render_from_history(env.name, prefix, read_history(prefix))
        if fmt == "requirements":
            return render_requirements(prefix)
        history = read_history(prefix)
        return render_lock(
            prefix,
            self._prefix_platform(prefix),
            requested=list(history.conda.values()),
            pip=list_pip_packages(prefix),
        )

    def _prefix_platform(self, prefix: Path) -> str:
        subdirs = {str(r.get("subdir")) for r in read_records(prefix)} - {"noarch", "None"}
        if len(subdirs) == 1:
            return subdirs.pop()
        return self.platform

    @settles
    async def create_from_lock(
        self, prefix: Path, lock_text: str, progress: ProgressCallback = ignore_progress
    ) -> None:
        prefix = Path(prefix)
        lock = parse_lock(lock_text)
        if lock.platform and lock.platform != self.platform:
            raise InvalidRequest(
                f"This lock is for {lock.platform}; this machine installs {self.platform} "
                "packages. Export 'yml' or 'no-builds' to move between platforms."
            )
        foreign = sorted({e.subdir for e in lock.entries} - set(self._platforms()))
        if foreign:
            raise InvalidRequest(
                f"The lock holds packages for {', '.join(foreign)}, not {self.platform}."
            )
        requested = lock.requested
        parse_specs(requested)
        pip = validate_pip(lock.pip)
        self._ensure_new_prefix(prefix)
        progress(ProgressEvent("solve", f"Reading {len(lock.entries)} locked packages", 0.0))
        channels = list(dict.fromkeys(e.channel for e in lock.entries))
        names = {e.filename.rsplit("-", 2)[0].lower() for e in lock.entries}
        candidates = await query_records(self._gateway(), channels, self._platforms(), names)
        available = {r.url: r for r in candidates}
        records, missing = [], []
        for entry in lock.entries:
            record = available.get(entry.url)
            if record is None:
                missing.append(entry.filename)
                continue
            sha = record.sha256.hex() if record.sha256 else None
            md5 = record.md5.hex() if record.md5 else None
            if (entry.sha256 and entry.sha256 != sha) or (entry.md5 and entry.md5 != md5):
                raise InvalidRequest(
                    f"{entry.filename} on its channel does not match the hash in the lock: "
                    "the package was rebuilt or the lock was edited."
                )
            records.append(record)
        if missing:
            raise PackagesNotFound(missing, where="the channels named in the lock")
        progress(ProgressEvent("solve", f"Locked: {len(records)} packages", 1.0))
        await self._materialize(
            prefix,
            records,
            progress,
            command=f"{COMMAND} create --prefix {prefix} --file <lock>",
            update_specs=requested or [f"{record_name(r)}={r.version}={r.build}" for r in records],
        )
        await self._after_create_pip(prefix, pip, progress)


def _summary(record: Any) -> dict[str, Any]:
    """What recovery needs of a record being installed: enough to find its files."""
    data = json.loads(record.to_json())
    keep = ("name", "version", "build", "fn", "url", "sha256", "md5", "noarch", "subdir")
    return {key: data[key] for key in keep if key in data}


def _history_size(prefix: Path) -> int | None:
    try:
        return (prefix / "conda-meta" / "history").stat().st_size
    except OSError:
        return None


def _truncate_history(prefix: Path, size: int) -> None:
    """Drop history entries of a change that was undone (entries are only appended)."""
    history = prefix / "conda-meta" / "history"
    if _history_size(prefix) not in (None, size):
        with open(history, "r+b") as handle:
            handle.truncate(size)


__all__ = ["RattlerEngine", "default_cache_dir"]
