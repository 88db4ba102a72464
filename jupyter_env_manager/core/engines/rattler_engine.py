"""The embedded conda engine: solves and installs with py-rattler, no conda needed.

Prefixes it makes are ordinary conda prefixes (`conda-meta/*.json` records plus a
conda-format `conda-meta/history`), so conda, mamba and the environment listing
read them like any other.

Behaviour worth knowing (and why):

- New prefixes (create, clone, create_from_lock) are linked into a hidden sibling
  `.<name>.partial-<id>` with rattler patching the FINAL path into files, then
  renamed into place. A failure or cancellation therefore never leaves a
  half-made prefix at the requested path. rattler keeps linking in its own threads
  after the awaiting task is cancelled, so the staging folder is deleted only when
  that work has really stopped (`drain()` waits for it).
- In-place changes (install/update/uninstall) cannot be stopped halfway without
  breaking the environment: a cancelled transaction is allowed to finish, its
  history is written, then `CancelledError` is re-raised. A cancelled pip step is
  stopped at once (uv is a child process).
- Uninstall behaves like conda: packages that depend on a removed package are
  removed too (transitively). Refusing instead would force users to find the
  dependents themselves; the dry-run plan lists them before anything changes.
  Everything else stays exactly as installed (no re-solve, so it also works when
  the original channel is gone).
- `search` returns, for a plain substring, the newest version of each matching
  name; for a match spec (`alpha>=2`), every matching version (newest build of
  each), newest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import os
import re
import shutil
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from packaging.requirements import InvalidRequirement, Requirement

from ..conda_export import (
    parse_lock,
    pip_requirement,
    render_from_history,
    render_lock,
    render_requirements,
    render_yml,
)
from ..conda_prefix import (
    append_history,
    channel_name,
    list_all_packages,
    read_history,
    read_records,
    spec_name,
)
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
from ..site_packages import list_pip_packages, normalize_name
from ..subprocess_runner import run_command
from .base import Engine

try:  # rattler is a dependency, but the engine must report unavailability, not crash.
    import rattler
    from rattler import Gateway, MatchSpec, PrefixRecord, Subdir, Version
    from rattler.exceptions import (
        GatewayError,
        InvalidMatchSpecError,
        SolverError,
    )
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    rattler = None  # type: ignore[assignment]

COMMAND = "jupyter-env-manager"
#: Substring searches stop after this many names (a big channel has ~30k).
MAX_SEARCH_NAMES = 200
_EXPORT_PIN_RE = re.compile(r"^([A-Za-z0-9_.\-]+)=([^\s=<>!~,|]+)=([A-Za-z0-9_.*]+)$")
_SPEC_OPERATOR_RE = re.compile(r"[\s=<>!~*\[:]")
_UV_LINE_RE = re.compile(r"^\s*([+-])\s+([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+)|\s+@\s+(\S+))")
_UV_MISSING_RE = re.compile(r"Because (\S+) was not found in the (?:package registry|cache)")
_WHEEL_VERSION_RE = re.compile(r"/[^/-]+-([^-/]+)-[^/]*\.whl$")


# py-rattler finishes some work on its tokio threads (dropping Python objects) just
# after an awaited call returns; if the interpreter exits in that window it aborts
# ("PyGILState_Release ... finalizing", measured ~30% of short runs). Yielding this
# long after each operation closed the window in 60 of 60 runs.
_SETTLE_SECONDS = 0.02

_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])


def _settles(method: _F) -> _F:
    """Let rattler's background threads finish before an operation returns."""

    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        finally:
            await asyncio.sleep(_SETTLE_SECONDS)

    return wrapper  # type: ignore[return-value]


def default_cache_dir() -> Path:
    """Where packages and repodata are cached: the user's cache folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jupyter-env-manager" / "rattler"


def _python_in(prefix: Path) -> Path:
    if sys.platform == "win32":
        return prefix / "python.exe"
    return prefix / "bin" / "python"


def _find_uv() -> str:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise EngineFailure("uv is needed for pip packages but was not found.") from None
        return found


class _Reporter:
    """Turns rattler's installer callbacks into ProgressEvents on the event loop.

    rattler calls these from its own worker threads, so events are handed to the
    loop with `call_soon_threadsafe`; the user's callback always runs on the loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, progress: ProgressCallback) -> None:
        self._loop = loop
        self._progress = progress
        self._lock = threading.Lock()
        self._next = 0
        self._names: dict[int, str] = {}
        self._sent_fraction: dict[int, float] = {}
        self._total = 0
        self._done = 0

    def _token(self, name: str) -> int:
        with self._lock:
            self._next += 1
            self._names[self._next] = name
            return self._next

    def _emit(self, event: ProgressEvent) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody listens
            self._loop.call_soon_threadsafe(self._progress, event)

    def _overall(self) -> float | None:
        return self._done / self._total if self._total else None

    def on_transaction_start(self, total_operations: int) -> None:
        self._total = total_operations

    def on_populate_cache_start(self, operation: int, package_name: str) -> int:
        return self._token(package_name)

    def on_download_start(self, cache_entry: int) -> int:
        name = self._names.get(cache_entry, "")
        self._emit(ProgressEvent("download", f"Downloading {name}", 0.0, name or None))
        return self._token(name)

    def on_download_progress(self, download_idx: int, progress: int, total: int | None) -> None:
        if not total:
            return
        fraction = min(progress / total, 1.0)
        # Throttle: a big download reports thousands of chunks.
        if fraction - self._sent_fraction.get(download_idx, 0.0) < 0.1 and fraction < 1.0:
            return
        self._sent_fraction[download_idx] = fraction
        name = self._names.get(download_idx, "")
        self._emit(ProgressEvent("download", f"Downloading {name}", fraction, name or None))

    def on_download_completed(self, download_idx: int) -> None:
        name = self._names.get(download_idx, "")
        self._emit(ProgressEvent("download", f"Downloaded {name}", 1.0, name or None))

    def on_link_start(self, operation: int, package_name: str) -> int:
        self._emit(ProgressEvent("link", f"Linking {package_name}", self._overall(), package_name))
        return self._token(package_name)

    def on_link_complete(self, index: int) -> None:
        with self._lock:
            self._done += 1
        name = self._names.get(index, "")
        self._emit(ProgressEvent("link", f"Linked {name}", self._overall(), name or None))

    def on_unlink_start(self, operation: int, package_name: str) -> int:
        self._emit(ProgressEvent("unlink", f"Removing {package_name}", None, package_name))
        return self._token(package_name)

    def on_transaction_complete(self) -> None:
        self._emit(ProgressEvent("link", "Transaction complete", 1.0))


def _name(record: Any) -> str:
    return record.name.normalized


def _to_dict(record: Any) -> dict[str, Any]:
    """The few fields history lines need, from a rattler record."""
    return {
        "name": _name(record),
        "version": str(record.version),
        "build": str(record.build),
        "channel": record.channel,
        "subdir": record.subdir,
    }


def _version_key(record: Any) -> tuple[Any, int]:
    return (Version(str(record.version)), record.build_number)


def _diff(old: Sequence[Any], new: Sequence[Any]) -> list[PackageChange]:
    """What moving from `old` to `new` records does, as plan entries sorted by name."""
    before = {_name(r): r for r in old}
    after = {_name(r): r for r in new}
    changes: list[PackageChange] = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is None and now is not None:
            changes.append(PackageChange(name, "install", "conda", None, str(now.version)))
        elif now is None and was is not None:
            changes.append(PackageChange(name, "remove", "conda", str(was.version), None))
        elif was is not None and now is not None:
            if was.url == now.url and str(was.build) == str(now.build):
                continue
            old_v, new_v = Version(str(was.version)), Version(str(now.version))
            if new_v > old_v:
                action = "update"
            elif new_v < old_v:
                action = "downgrade"
            else:
                action = "reinstall"
            changes.append(PackageChange(name, action, "conda", str(was.version), str(now.version)))
    return changes


def _pip_diff(before: Sequence[Package], after: Sequence[Package]) -> list[PackageChange]:
    old = {p.name: p for p in before}
    new = {p.name: p for p in after}
    changes: list[PackageChange] = []
    for name in sorted(set(old) | set(new)):
        was, now = old.get(name), new.get(name)
        if was is None and now is not None:
            changes.append(PackageChange(name, "install", "pypi", None, now.version))
        elif now is None and was is not None:
            changes.append(PackageChange(name, "remove", "pypi", was.version, None))
        elif (
            was is not None and now is not None and (was.version, was.url) != (now.version, now.url)
        ):
            action = "update" if _pep440_greater(now.version, was.version) else "downgrade"
            if now.version == was.version:
                action = "reinstall"
            changes.append(PackageChange(name, action, "pypi", was.version, now.version))
    return changes


def _pep440_greater(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion
    from packaging.version import Version as PyVersion

    try:
        return PyVersion(a) > PyVersion(b)
    except InvalidVersion:
        return a > b


def _parse_uv_plan(output: str, installed: Sequence[Package]) -> list[PackageChange]:
    """Read `uv pip install --dry-run` lines (` + name==1.0`, ` - name==0.9`) into a plan."""
    adds: dict[str, str | None] = {}
    removes: dict[str, str | None] = {}
    for line in output.splitlines():
        match = _UV_LINE_RE.match(line)
        if not match:
            continue
        sign, raw_name, version, url = match.groups()
        if version is None and url:
            found = _WHEEL_VERSION_RE.search(url)
            version = found.group(1) if found else None
        target = adds if sign == "+" else removes
        target[normalize_name(raw_name)] = version
    current = {p.name: p.version for p in installed}
    changes: list[PackageChange] = []
    for name in sorted(set(adds) | set(removes)):
        if name in adds:
            old = removes.get(name, current.get(name)) if name in removes else None
            new = adds[name]
            if old is None:
                changes.append(PackageChange(name, "install", "pypi", None, new))
            else:
                action = "reinstall"
                if new and new != old:
                    action = "update" if _pep440_greater(new, old) else "downgrade"
                changes.append(PackageChange(name, action, "pypi", old, new))
        else:
            changes.append(PackageChange(name, "remove", "pypi", removes[name], None))
    return changes


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
        self._cleanups: set[asyncio.Future[Any]] = set()
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
        while self._cleanups:
            await asyncio.gather(*list(self._cleanups), return_exceptions=True)

    # ------------------------------------------------------------ validation

    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        self._parse_specs(conda)
        self._validate_pip(pip)

    @staticmethod
    def _parse_specs(specs: Iterable[str]) -> list[MatchSpec]:
        parsed = []
        for spec in specs:
            if not isinstance(spec, str) or not spec.strip():
                raise InvalidRequest(f"Invalid package spec {spec!r}: it is empty.")
            text = spec.strip()
            # Strict parsing rejects ambiguous specs (`al pha` would otherwise mean
            # version "pha"), but also conda's own export form `name=version=build`,
            # which is therefore rewritten to the equivalent `name ==version build`.
            pinned = _EXPORT_PIN_RE.match(text)
            if pinned:
                text = f"{pinned.group(1)} =={pinned.group(2)} {pinned.group(3)}"
            try:
                parsed.append(MatchSpec(text, strict=True))
            except InvalidMatchSpecError as exc:
                raise InvalidRequest(f"Invalid package spec {spec!r}: {exc}") from None
        return parsed

    @staticmethod
    def _validate_pip(requirements: Iterable[str] | None) -> list[str]:
        checked = []
        for requirement in requirements or []:
            if not isinstance(requirement, str) or not requirement.strip():
                raise InvalidRequest(f"Invalid pip requirement {requirement!r}: it is empty.")
            try:
                Requirement(requirement)
            except InvalidRequirement as exc:
                raise InvalidRequest(f"Invalid pip requirement {requirement!r}: {exc}") from None
            checked.append(requirement.strip())
        return checked

    @staticmethod
    def _validate_channels(channels: Sequence[str]) -> list[str]:
        checked = []
        for channel in channels:
            if not isinstance(channel, str) or not channel.strip():
                raise InvalidRequest(f"Invalid channel {channel!r}.")
            channel = channel.strip()
            if channel.startswith("file://"):
                path = Path(channel[len("file://") :])
                if not path.is_dir():
                    raise InvalidRequest(f"Channel {channel} does not exist on this machine.")
            checked.append(channel)
        return checked

    @staticmethod
    def _ensure_new_prefix(prefix: Path) -> None:
        if prefix.exists() and (not prefix.is_dir() or any(prefix.iterdir())):
            raise EnvironmentExists(f"{prefix} already exists and is not empty.")

    @staticmethod
    def _ensure_env(prefix: Path) -> None:
        if not (prefix / "conda-meta").is_dir():
            raise EnvironmentNotFound(f"{prefix} is not a conda environment (no conda-meta).")

    # ------------------------------------------------------------------ solving

    async def _query(
        self, gateway: Gateway, channels: Sequence[str], names: Iterable[str]
    ) -> list[Any]:
        try:
            result = await gateway.query(
                channels,
                self._platforms(),
                list(names),
                recursive=False,
                channel_relations="disabled",
            )
        except GatewayError as exc:
            raise EngineFailure(
                f"Could not read the channels {', '.join(channels)}: {exc}"
            ) from None
        return [record for per_channel in result for record in per_channel]

    async def _solve(
        self,
        specs: Sequence[str],
        channels: Sequence[str],
        *,
        locked: Sequence[Any] = (),
        progress: ProgressCallback = ignore_progress,
    ) -> list[Any]:
        match_specs = self._parse_specs(specs)
        channels = self._validate_channels(channels)
        if not match_specs:
            return []
        progress(ProgressEvent("solve", f"Solving {', '.join(specs)}", 0.0))
        gateway = self._gateway()
        wanted = {spec_name(s) for s in specs} - {_name(r) for r in locked}
        wanted = {n for n in wanted if not n.startswith("__")}  # virtual packages
        if wanted:
            found = {_name(r) for r in await self._query(gateway, channels, wanted)}
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
            raise EngineFailure(
                f"Could not read the channels {', '.join(channels)}: {exc}"
            ) from None
        progress(ProgressEvent("solve", f"Solved: {len(records)} packages", 1.0))
        return records

    # ------------------------------------------------------------- installing

    def _install_task(
        self,
        records: Sequence[Any],
        target: Path,
        progress: ProgressCallback,
        *,
        installed: Sequence[Any] | None = None,
        final_prefix: Path | None = None,
    ) -> asyncio.Task[None]:
        reporter = _Reporter(asyncio.get_running_loop(), progress)
        return asyncio.ensure_future(
            rattler.install(
                list(records),
                target_prefix=target,
                cache_dir=self.packages_dir,
                installed_packages=list(installed) if installed is not None else None,
                platform=Subdir(self.platform),
                execute_link_scripts=False,
                show_progress=False,
                reporter=reporter,
                alternative_target_prefix=final_prefix,
            )
        )

    def _remove_when_done(self, task: asyncio.Task[None], folder: Path) -> None:
        """Delete `folder` once rattler's (uncancellable) work on it has finished."""
        loop = asyncio.get_running_loop()

        async def cleanup() -> None:
            with contextlib.suppress(BaseException):
                await task
            await loop.run_in_executor(None, lambda: shutil.rmtree(folder, ignore_errors=True))

        future = asyncio.ensure_future(cleanup())
        self._cleanups.add(future)
        future.add_done_callback(self._cleanups.discard)

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
        prefix.parent.mkdir(parents=True, exist_ok=True)
        staging = prefix.parent / f".{prefix.name}.partial-{uuid.uuid4().hex[:8]}"
        task = self._install_task(records, staging, progress, final_prefix=prefix)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._remove_when_done(task, staging)
            raise
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise EngineFailure(f"Installing into {prefix} failed: {exc}") from None
        try:
            append_history(
                staging,
                command=command,
                added=[_to_dict(r) for r in records],
                update_specs=update_specs,
                tool="rattler",
                tool_version=self.version() or "",
            )
            if prefix.is_dir():
                prefix.rmdir()  # an empty folder was allowed; rename needs it gone
            os.rename(staging, prefix)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        progress(ProgressEvent("link", f"Created {prefix}", 1.0))

    async def _transact(
        self,
        prefix: Path,
        records: Sequence[Any],
        installed: Sequence[Any],
        progress: ProgressCallback,
        write_history: Any,
    ) -> None:
        """Change an existing prefix in place; history is written even when cancelled."""
        task = self._install_task(records, prefix, progress, installed=installed)
        cancelled = False
        while True:
            try:
                await asyncio.shield(task)
                break
            except asyncio.CancelledError:
                if task.done():
                    break
                # Stopping rattler halfway would leave a mix of old and new files.
                cancelled = True
            except Exception as exc:
                raise EngineFailure(f"Changing {prefix} failed: {exc}") from None
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise EngineFailure(f"Changing {prefix} failed: {task.exception()}")
        write_history()
        if cancelled:
            raise asyncio.CancelledError

    def _installed(self, prefix: Path) -> list[Any]:
        try:
            return [
                PrefixRecord.from_path(p) for p in sorted((prefix / "conda-meta").glob("*.json"))
            ]
        except Exception as exc:
            raise EngineFailure(f"Cannot read the conda-meta records of {prefix}: {exc}") from None

    # -------------------------------------------------------------------- pip

    async def _uv(
        self, prefix: Path, args: list[str], progress: ProgressCallback, stage: str = "pip"
    ) -> str:
        python = _python_in(prefix)
        if not python.exists():
            raise InvalidRequest(
                f"pip packages need Python in {prefix}: add 'python' to the conda packages."
            )

        def on_line(stream: str, line: str) -> None:
            if line.strip():
                progress(ProgressEvent(stage, line.strip()))

        argv = [_find_uv(), "pip", *args, "--python", str(python)]
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "CONDA_PREFIX"}}
        env["NO_COLOR"] = "1"
        result = await run_command(argv, on_line=on_line, env=env)
        if result.returncode != 0:
            text = (result.stderr or result.stdout).strip()
            missing = _UV_MISSING_RE.findall(text)
            if missing:
                raise PackagesNotFound(sorted({normalize_name(m) for m in missing}), where="PyPI")
            if "No solution found" in text:
                raise Unsatisfiable(text)
            raise EngineFailure(f"uv pip {args[0]} failed: {text[-2000:]}")
        return result.stdout + "\n" + result.stderr

    async def _pip_install(
        self, prefix: Path, requirements: list[str], progress: ProgressCallback, *, dry_run: bool
    ) -> list[PackageChange]:
        before = list_pip_packages(prefix)
        if dry_run:
            # uv creates an empty `.lock` in the environment even for a dry run;
            # a dry run must leave the prefix exactly as it was.
            uv_lock = prefix / ".lock"
            had_lock = uv_lock.exists()
            try:
                output = await self._uv(prefix, ["install", "--dry-run", *requirements], progress)
            finally:
                if not had_lock and uv_lock.is_file() and uv_lock.stat().st_size == 0:
                    uv_lock.unlink()
            return _parse_uv_plan(output, before)
        progress(ProgressEvent("pip", f"Installing {', '.join(requirements)} with uv"))
        await self._uv(prefix, ["install", *requirements], progress)
        append_history(prefix, command=f"{COMMAND} pip install", pip_requested=requirements)
        return _pip_diff(before, list_pip_packages(prefix))

    # ------------------------------------------------------------- operations

    @staticmethod
    def _python_spec(python: str | None) -> list[str]:
        if not python:
            return []
        python = python.strip()
        return [f"python{python}" if python[0] in "<>=!~" else f"python={python}"]

    @_settles
    async def create(
        self, prefix: Path, spec: EnvSpec, progress: ProgressCallback = ignore_progress
    ) -> None:
        prefix = Path(prefix)
        specs = [*spec.conda, *self._python_spec(spec.python)]
        self._parse_specs(specs)
        pip = self._validate_pip(spec.pip)
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
            await self._pip_install(prefix, requirements, progress, dry_run=False)
        except BaseException:
            # The prefix is ours and only half done; uv has been stopped already.
            shutil.rmtree(prefix, ignore_errors=True)
            raise

    @_settles
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

    @_settles
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
        self._parse_specs(specs)  # rejects non-strings and blanks before stripping
        specs = [s.strip() for s in specs]
        requirements = self._validate_pip(pip)
        if not specs and not requirements:
            raise InvalidRequest("Nothing to install: give conda specs or pip requirements.")
        installed = self._installed(prefix)
        changes: list[PackageChange] = []
        if specs:
            history = read_history(prefix)
            targets = {spec_name(s) for s in specs}
            # Every installed package stays required (as the user last asked for it)
            # and locked to its current build, so only what must move moves.
            keep = [history.conda.get(_name(r), _name(r)) for r in installed]
            keep = [s for s in keep if spec_name(s) not in targets]
            new = await self._solve(
                [*keep, *specs], channels or self.channels, locked=installed, progress=progress
            )
            changes += _diff(installed, new)
            if not dry_run:
                await self._apply(prefix, new, installed, progress, update_specs=specs)
        if requirements:
            changes += await self._pip_install(prefix, requirements, progress, dry_run=dry_run)
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
        added = [_to_dict(r) for url, r in after.items() if url not in before]
        removed = [_to_dict(r) for url, r in before.items() if url not in after]
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
        await self._transact(prefix, new, installed, progress, write_history)

    @_settles
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
        installed_names = {_name(r) for r in installed}
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
            locked = [r for r in installed if _name(r) not in targets]
        new = await self._solve(specs, channels or self.channels, locked=locked, progress=progress)
        changes = _diff(installed, new)
        if dry_run or not changes:
            return ChangePlan(tuple(changes), dry_run)
        # A requested spec the new version no longer satisfies is replaced by the
        # bare name, so from-history stays true to what is installed.
        relaxed = []
        for record in new:
            old_spec = history.conda.get(_name(record))
            if (
                old_spec
                and _name(record) in targets
                and not record.matches(self._parse_specs([old_spec])[0])
            ):
                relaxed.append(_name(record))
        await self._apply(
            prefix,
            new,
            installed,
            progress,
            update_specs=relaxed,
            command=f"{COMMAND} update --prefix {prefix} {' '.join(sorted(targets))}",
        )
        return ChangePlan(tuple(changes), dry_run)

    @_settles
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
        by_name = {_name(r): r for r in installed}
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

        removed = self._with_dependents(conda_targets, installed)
        remaining = [r for r in installed if _name(r) not in removed]
        changes = _diff(installed, remaining)
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
            await self._uv(prefix, ["uninstall", *sorted(pip_targets)], progress)
            append_history(
                prefix, command=f"{COMMAND} pip uninstall", pip_removed=sorted(pip_targets)
            )
        return ChangePlan(tuple(changes), dry_run)

    @staticmethod
    def _with_dependents(targets: set[str], installed: Sequence[Any]) -> set[str]:
        """`targets` plus every installed package that (transitively) depends on one."""
        removed = set(targets)
        needs = {_name(r): {spec_name(dep) for dep in r.depends if dep.strip()} for r in installed}
        grew = True
        while grew:
            grew = False
            for name, deps in needs.items():
                if name not in removed and deps & removed:
                    removed.add(name)
                    grew = True
        return removed

    @_settles
    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        if not isinstance(query, str) or not query.strip():
            raise InvalidRequest("Search needs a package name or match spec.")
        query = query.strip()
        sources = self._validate_channels(channels or self.channels)
        gateway = self._gateway()
        if _SPEC_OPERATOR_RE.search(query):
            spec = self._parse_specs([query])[0]
            records = [
                r
                for r in await self._query(gateway, sources, [spec_name(query)])
                if r.matches(spec)
            ]
            newest: dict[tuple[str, str], Any] = {}
            for r in records:
                key = (_name(r), str(r.version))
                if key not in newest or r.build_number > newest[key].build_number:
                    newest[key] = r
            # Newest first within each name (two stable sorts: versions are not negatable).
            ordered = sorted(newest.values(), key=_version_key, reverse=True)
            ordered.sort(key=_name)
            return [self._record_package(r) for r in ordered]
        try:
            names = await gateway.names(sources, self._platforms(), channel_relations="disabled")
        except GatewayError as exc:
            raise EngineFailure(
                f"Could not read the channels {', '.join(sources)}: {exc}"
            ) from None
        needle = query.lower()
        matched = sorted({n.normalized for n in names if needle in n.normalized})[:MAX_SEARCH_NAMES]
        if not matched:
            return []
        best: dict[str, Any] = {}
        for r in await self._query(gateway, sources, matched):
            if _name(r) not in best or _version_key(r) > _version_key(best[_name(r)]):
                best[_name(r)] = r
        return [self._record_package(best[n]) for n in sorted(best)]

    @staticmethod
    def _record_package(record: Any) -> Package:
        sha = record.sha256.hex() if record.sha256 else None
        return Package(
            name=_name(record),
            version=str(record.version),
            source="conda",
            build=str(record.build),
            channel=channel_name(record.channel),
            url=record.url,
            sha256=sha,
        )

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

    @_settles
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
        self._parse_specs(requested)
        pip = self._validate_pip(lock.pip)
        self._ensure_new_prefix(prefix)
        progress(ProgressEvent("solve", f"Reading {len(lock.entries)} locked packages", 0.0))
        channels = list(dict.fromkeys(e.channel for e in lock.entries))
        names = {e.filename.rsplit("-", 2)[0].lower() for e in lock.entries}
        available = {r.url: r for r in await self._query(self._gateway(), channels, names)}
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
            update_specs=requested or [f"{_name(r)}={r.version}={r.build}" for r in records],
        )
        await self._after_create_pip(prefix, pip, progress)


__all__ = ["RattlerEngine", "default_cache_dir"]
