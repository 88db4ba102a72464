"""Engine that drives an installed conda, mamba or micromamba through its `--json` CLI.

`CondaCliEngine` builds argument lists, runs them (never through a shell) and hands
the printed text to the parsers in `conda_parsers`. Commands that change a prefix
run through `conda_transaction.run_transaction`, so a cancel never leaves an
environment half-linked.

Removing an environment is the base engine's atomic rename-aside-then-delete
(core/removal.py), not `conda remove --all`, which unlinks package by package and
leaves half an environment when it fails or is stopped.

The executable is, in order: the one given (`EnvManager.conda_executable`), the
tool on PATH (`condabin/` after `conda init`), then `CONDA_EXE` / `MAMBA_EXE`, which
conda's and mamba's shell hooks export even when PATH does not name the tool.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from ..conda_export import parse_lock, render_requirements
from ..conda_prefix import read_history
from ..errors import EngineFailure, EngineUnavailable, InvalidRequest, Unsatisfiable
from ..info import tool_version
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
from ..site_packages import list_pip_packages, normalize_name
from ..specfiles import check_conda_spec, is_explicit_lock, parse_requirements
from ..subprocess_runner import CommandResult, StreamName, run_command
from ..versions import pypi_newer
from .base import Engine
from .conda_parsers import (
    CondaInfo,
    error_from_output,
    export_to_yaml,
    has_actions,
    one_line,
    parse_info,
    parse_list,
    parse_search,
    parse_transaction,
)
from .conda_transaction import run_transaction
from .install_journal import Journal, clear_journal, write_journal

CONDA_TOOLS: tuple[str, ...] = ("conda", "mamba", "micromamba")
#: Variables the tools' shell hooks export, naming the executable.
_EXE_VARIABLES = {"conda": "CONDA_EXE", "mamba": "MAMBA_EXE", "micromamba": "MAMBA_EXE"}
_LINK_LOG_RE = re.compile(r"===> (UNLINKING|LINKING) PACKAGE: (?:\S+::)?(\S+) <===")


# ---------------------------------------------------------------------------
# Tool discovery
# ---------------------------------------------------------------------------


def find_tool(tool: str, search_path: str | None = None) -> str | None:
    """The executable of `tool`: on PATH, else the one its shell hook names."""
    found = shutil.which(tool, path=search_path)
    if found is not None:
        return found
    if search_path is not None:
        return None
    exported = os.environ.get(_EXE_VARIABLES[tool], "")
    if exported and Path(exported).name.split(".")[0] == tool and os.access(exported, os.X_OK):
        return exported
    return None


def detect_conda_tools(
    search_path: str | None = None, *, with_versions: bool = True
) -> dict[str, dict[str, str | None]]:
    """Which of conda, mamba and micromamba are installed, with their versions.

    Finding the executables costs a PATH lookup; each version costs one short
    `--version` subprocess (conda's is about 0.3 s), so `/info` should cache this.
    """
    found: dict[str, dict[str, str | None]] = {}
    for tool in CONDA_TOOLS:
        path = find_tool(tool, search_path)
        if path is None:
            continue
        found[tool] = {
            "path": path,
            "version": tool_version(path, tool) if with_versions else None,
        }
    return found


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------


def _prefix_python(prefix: Path) -> Path:
    if sys.platform == "win32":
        return prefix / "python.exe"
    return prefix / "bin" / "python"


def _progress_message(line: str) -> str | None:
    """What a person should read of a conda stderr line (conda -vv logs a lot)."""
    match = _LINK_LOG_RE.search(line)
    if match:
        verb = "Unlinking" if match.group(1) == "UNLINKING" else "Linking"
        return f"{verb} {match.group(2)}"
    stripped = line.strip()
    if not stripped or line[:1].isspace() or stripped.startswith(("INFO ", "DEBUG ")):
        return None
    return stripped


class CondaCliEngine(Engine):
    """Drive one conda-family executable. Subclasses fix which one."""

    name: ClassVar[str] = "conda"
    kind = "conda"
    #: Extra flags for commands that change an existing prefix. conda's `-vv` makes it
    #: log each package it (un)links before touching the prefix, which a safe cancel
    #: needs (it also turns conda's JSON errors into tracebacks: see _transaction).
    transaction_flags: ClassVar[tuple[str, ...]] = ()
    #: Whether a cancel can tell "not started linking" (see conda_transaction).
    knows_commit_point: ClassVar[bool] = False

    def __init__(self, executable: str | os.PathLike[str] | None = None):
        resolved = os.fspath(executable) if executable is not None else find_tool(self.name)
        if resolved is None:
            raise EngineUnavailable(
                f"{self.name} is not installed (not found on PATH); install it or pick "
                "another engine."
            )
        self.executable = resolved
        self._info: CondaInfo | None = None

    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        for spec in conda:
            check_conda_spec(spec)
        parse_requirements(pip)

    @classmethod
    def is_available(cls) -> bool:
        return find_tool(cls.name) is not None

    def version(self) -> str | None:
        return tool_version(self.executable, self.name)

    # -- running ------------------------------------------------------------

    def _argv(self, *args: str | os.PathLike[str]) -> list[str]:
        return [self.executable, *(os.fspath(a) for a in args)]

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Never let the tool stop and ask; never let colour codes into the JSON.
        env.setdefault("CONDA_ALWAYS_YES", "true")
        env["NO_COLOR"] = "1"
        return env

    async def _run(
        self,
        args: Sequence[str | os.PathLike[str]],
        progress: ProgressCallback = ignore_progress,
        *,
        stage: str = "run",
    ) -> CommandResult:
        """Run a command that changes nothing; a non-zero exit becomes the matching error."""

        def forward(stream: StreamName, line: str) -> None:
            # stdout carries the JSON document; stderr carries what a person would read.
            message = _progress_message(line) if stream == "stderr" else None
            if message:
                progress(ProgressEvent(stage=stage, message=message))

        try:
            result = await run_command(self._argv(*args), on_line=forward, env=self._child_env())
        except (FileNotFoundError, PermissionError) as exc:
            raise EngineUnavailable(f"Cannot run {self.executable}: {exc}") from exc
        if result.returncode != 0:
            raise error_from_output(self.name, result.returncode, result.stdout, result.stderr)
        return result

    async def _change(
        self,
        args: Sequence[str | os.PathLike[str]],
        progress: ProgressCallback,
        *,
        stage: str,
        existing: bool,
        dry_run: bool = False,
        on_start: Callable[[int], None] | None = None,
    ) -> CommandResult:
        """Run a command that may change a prefix (`existing`: one that must survive a
        cancel whole); see conda_transaction for what a cancel does."""

        def forward(line: str) -> None:
            message = _progress_message(line)
            if message:
                progress(ProgressEvent(stage=stage, message=message))

        def notice(message: str) -> None:
            progress(ProgressEvent(stage="cancel", message=message))

        argv = self._argv(*args)
        try:
            if dry_run:
                result = await run_command(argv, env=self._child_env())
            else:
                result = await run_transaction(
                    argv,
                    env=self._child_env(),
                    on_stderr=forward,
                    on_notice=notice,
                    guard=existing,
                    knows_commit_point=self.knows_commit_point,
                    on_start=on_start,
                )
        except (FileNotFoundError, PermissionError) as exc:
            raise EngineUnavailable(f"Cannot run {self.executable}: {exc}") from exc
        if result.returncode != 0:
            # conda < 4.7 and mamba 1 exit non-zero after a --json --dry-run (DryRunExit)
            # yet print the plan.
            if dry_run and has_actions(result.stdout):
                return result
            raise error_from_output(self.name, result.returncode, result.stdout, result.stderr)
        return result

    def _channel_args(self, channels: list[str] | None) -> list[str]:
        if not channels:
            return []
        args = ["--override-channels"]
        for channel in channels:
            args += ["-c", channel]
        return args

    async def info(self) -> CondaInfo:
        """`info --json`, once per engine (conda takes about a second to answer)."""
        if self._info is None:
            result = await self._run(["info", "--json"], stage="info")
            self._info = parse_info(result.stdout)
        return self._info

    # -- environments -------------------------------------------------------

    async def create(
        self, prefix: Path, spec: EnvSpec, progress: ProgressCallback = ignore_progress
    ) -> None:
        specs = list(spec.conda)
        if spec.python and not any(_spec_name(s) == "python" for s in specs):
            specs.insert(0, f"python={spec.python}")
        if spec.pip and not any(_spec_name(s) == "pip" for s in specs):
            specs.append("pip")
        progress(ProgressEvent(stage="solve", message=f"Creating {prefix} with {self.name}"))
        await self._change(
            ["create", "--prefix", prefix, "--yes", "--json"]
            + [*self._channel_args(spec.channels), "--", *specs],
            progress,
            stage="create",
            existing=False,
        )
        if spec.pip:
            await self._pip_install(prefix, spec.pip, progress)

    async def clone(
        self, source: Environment, prefix: Path, progress: ProgressCallback = ignore_progress
    ) -> None:
        if self.name == "conda":
            await self._change(
                ["create", "--prefix", prefix, "--clone", source.prefix, "--yes", "--json"],
                progress,
                stage="clone",
                existing=False,
            )
            return
        # mamba 2 and micromamba have no --clone: rebuild from an exact lock instead.
        lock = await self.export(source, "lock")
        await self.create_from_lock(prefix, lock, progress)

    async def create_from_lock(
        self, prefix: Path, lock_text: str, progress: ProgressCallback = ignore_progress
    ) -> None:
        """Rebuild a lock: conda's own `conda list --explicit` output, or ours (whose
        `# pip:` lines conda ignores as comments and we then install with pip)."""
        if not is_explicit_lock(lock_text):
            raise InvalidRequest(
                "This is not a conda lock: an explicit lock starts with an '@EXPLICIT' line "
                "followed by package URLs (as written by `conda list --explicit --md5`)."
            )
        lock = parse_lock(lock_text)
        with tempfile.TemporaryDirectory(prefix="jem-lock-") as tmp:
            lock_file = Path(tmp) / "lock.txt"
            lock_file.write_text(lock_text, encoding="utf-8")
            await self._change(
                ["create", "--prefix", prefix, "--yes", "--json", "--file", lock_file],
                progress,
                stage="create",
                existing=False,
            )
        if lock.pip:
            await self._pip_install(prefix, lock.pip, progress)

    # -- packages -----------------------------------------------------------

    async def list_packages(self, env: Environment) -> list[Package]:
        result = await self._run(["list", "--prefix", env.prefix, "--json"], stage="list")
        packages = parse_list(result.stdout)
        # micromamba does not report pip-installed packages; read them from disk.
        known_pypi = {p.name for p in packages if p.source == "pypi"}
        conda_names = {normalize_name(p.name) for p in packages if p.source == "conda"}
        for pip_package in list_pip_packages(env.prefix):
            if pip_package.name not in known_pypi and pip_package.name not in conda_names:
                packages.append(pip_package)
        requested = _requested_names(env.prefix)
        packages = [
            _with_requested(p) if p.source == "conda" and p.name.lower() in requested else p
            for p in packages
        ]
        return sorted(packages, key=lambda p: (p.name.lower(), p.source))

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
        plan = ChangePlan(changes=(), dry_run=dry_run)
        if specs:
            plan = await self._transaction(
                ["install", "--prefix", env.prefix, *self._channel_args(channels), "--", *specs],
                dry_run,
                progress,
                stage="install",
            )
        if pip:
            if dry_run:
                pip_changes = tuple(
                    PackageChange(name=_spec_name(r), action="install", source="pypi") for r in pip
                )
            else:
                pip_changes = await self._pip_install(env.prefix, pip, progress)
            plan = ChangePlan(changes=plan.changes + pip_changes, dry_run=dry_run)
        return plan

    async def update(
        self,
        env: Environment,
        names: list[str] | None,
        *,
        channels: list[str] | None = None,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        targets = ["--all"] if names is None else ["--", *names]
        return await self._transaction(
            ["update", "--prefix", env.prefix, *self._channel_args(channels), *targets],
            dry_run,
            progress,
            stage="update",
        )

    async def uninstall(
        self,
        env: Environment,
        names: list[str],
        *,
        dry_run: bool = False,
        progress: ProgressCallback = ignore_progress,
    ) -> ChangePlan:
        if not names:
            raise InvalidRequest("Name at least one package to remove.")
        return await self._transaction(
            ["remove", "--prefix", env.prefix, "--", *names], dry_run, progress, stage="remove"
        )

    async def _transaction(
        self,
        args: list[str | os.PathLike[str]],
        dry_run: bool,
        progress: ProgressCallback,
        *,
        stage: str,
    ) -> ChangePlan:
        # Options must precede the `--` that protects specs starting with '-'.
        split = args.index("--") if "--" in args else len(args)
        flags: list[str | os.PathLike[str]] = ["--yes", "--json"]
        flags += ["--dry-run"] if dry_run else list(self.transaction_flags)
        full = [*args[:split], *flags, *args[split:]]
        prefix = Path(args[args.index("--prefix") + 1])
        # A prefix that is not there yet is conda's to refuse, not ours to journal.
        real = (prefix / "conda-meta").is_dir()
        journal = self._journal(prefix, stage) if real and not dry_run else None

        def started(pid: int) -> None:
            if journal is not None:  # conda outlives a killed server: say who it is
                write_journal(prefix, replace(journal, tool_pid=pid))

        try:
            result = await self._change(
                full, progress, stage=stage, existing=True, dry_run=dry_run, on_start=started
            )
        except EngineFailure as failure:
            if journal is not None:
                await self._after_failure(prefix, journal, progress)
            if dry_run or not self.transaction_flags or "exception" in failure.details:
                raise
            # With -vv conda prints a traceback instead of its JSON error. Solver and
            # channel errors come back the same from a dry run, with their details.
            preview = [*args[:split], "--yes", "--json", "--dry-run", *args[split:]]
            await self._change(preview, progress, stage=stage, existing=True, dry_run=True)
            raise
        except asyncio.CancelledError:
            # conda was killed before it touched the prefix, or allowed to finish.
            if journal is not None:
                clear_journal(prefix)
            raise
        if journal is not None:
            clear_journal(prefix)
        if not result.stdout.strip():
            # mamba 2 printed nothing for an empty transaction (mamba-org/mamba#3583).
            return ChangePlan(changes=(), dry_run=dry_run)
        return parse_transaction(result.stdout, dry_run=dry_run)

    def _journal(self, prefix: Path, operation: str) -> Journal:
        """Journal a conda transaction (see install_journal.py) before conda starts."""
        history = prefix / "conda-meta" / "history"
        journal = Journal(
            operation=operation,
            engine=self.name,
            before=self.package_set(prefix),
            history_size=history.stat().st_size if history.is_file() else None,
            package_dirs=tuple(str(d) for d in self._package_dirs()),
        )
        write_journal(prefix, journal)
        return journal

    def _package_dirs(self) -> list[Path]:
        """Where conda extracts packages: CONDA_PKGS_DIRS, else <base>/pkgs and
        ~/.conda/pkgs (conda's defaults). No `conda info` call: it costs a second."""
        configured = os.environ.get("CONDA_PKGS_DIRS")
        if configured:
            return [Path(d) for d in re.split(rf"[,{os.pathsep}]", configured) if d]
        root = self._info.root_prefix if self._info else None
        # <base>/bin/conda or <base>/condabin/conda
        root = root or Path(os.path.realpath(self.executable)).parent.parent
        return [root / "pkgs", Path.home() / ".conda" / "pkgs"]

    async def _after_failure(
        self, prefix: Path, journal: Journal, progress: ProgressCallback
    ) -> None:
        """conda failed: usually before touching the prefix (a solve error), else it
        rolled back itself. Whatever it left that differs from before is undone."""
        if self.package_set(prefix) == journal.before:
            clear_journal(prefix)
            return
        from .rattler_engine import RattlerEngine

        if not RattlerEngine.is_available():
            return  # the journal stays: the env is reported as needing repair
        progress(ProgressEvent(stage="restore", message=f"Putting {prefix} back as it was"))
        await RattlerEngine().recover(prefix, progress)

    async def _pip_install(
        self, prefix: Path, requirements: list[str], progress: ProgressCallback
    ) -> tuple[PackageChange, ...]:
        python = _prefix_python(prefix)
        if not python.exists():
            raise InvalidRequest(
                f"Cannot install pip packages: {prefix} has no Python. Add 'python' to the "
                "conda packages first."
            )
        before = {p.name: p.version for p in list_pip_packages(prefix)}
        progress(ProgressEvent(stage="pip", message="Installing pip packages"))
        argv = [python, "-m", "pip", "install", "--disable-pip-version-check", "--", *requirements]
        # pip is not conda: run it directly rather than through self._run's error mapping.
        result = await run_command(argv, env={**os.environ, "PIP_NO_INPUT": "1"})
        if result.returncode != 0:
            raise Unsatisfiable(
                "pip could not install "
                + ", ".join(requirements)
                + ": "
                + one_line(result.stderr or result.stdout),
                details={"tool": "pip", "output": (result.stderr or result.stdout)[-4000:]},
            )
        after = {p.name: p.version for p in list_pip_packages(prefix)}
        changes: list[PackageChange] = []
        for name in sorted(after):
            old, new = before.get(name), after[name]
            if old == new:
                continue
            action: ChangeAction = (
                "install" if old is None else ("update" if pypi_newer(new, old) else "downgrade")
            )
            changes.append(
                PackageChange(
                    name=name, action=action, source="pypi", old_version=old, new_version=new
                )
            )
        return tuple(changes)

    async def search(self, query: str, channels: list[str] | None = None) -> list[Package]:
        query = query.strip()
        if not query:
            raise InvalidRequest("Type part of a package name to search for.")
        # A bare word is a substring search, as the UI promises; a spec is passed as is.
        pattern = f"*{query}*" if re.fullmatch(r"[A-Za-z0-9_.-]+", query) else query
        try:
            result = await self._run(
                ["search", "--json", *self._channel_args(channels), "--", pattern], stage="search"
            )
        except Unsatisfiable as error:
            # conda answers a search that matches nothing with PackagesNotFoundError.
            if error.details.get("packages") or "PackagesNotFound" in str(
                error.details.get("exception", "")
            ):
                return []
            raise
        return parse_search(result.stdout)

    async def export(self, env: Environment, fmt: ExportFormat) -> str:
        if fmt == "lock":
            if self.name == "micromamba":
                args = ["env", "export", "--prefix", env.prefix, "--explicit", "--md5"]
            else:
                args = ["list", "--prefix", env.prefix, "--explicit", "--md5"]
            result = await self._run(args, stage="export")
            return result.stdout.rstrip("\n") + "\n"
        if fmt == "requirements":
            return render_requirements(env.prefix)
        if fmt not in ("yml", "no-builds", "from-history"):
            raise InvalidRequest(f"Unknown export format {fmt!r}.")
        flags = {"from-history": ["--from-history"]}.get(fmt, [])
        if fmt == "no-builds" and self.name == "conda":
            # mamba 2.0.1 refused --no-builds (mamba-org/mamba#3492): for the mambas the
            # builds are stripped from the full export instead.
            flags = ["--no-builds"]
        result = await self._run(
            ["env", "export", "--prefix", env.prefix, *flags, "--json"], stage="export"
        )
        return export_to_yaml(result.stdout, no_builds=fmt == "no-builds", name=env.name)


_SPEC_NAME_RE = re.compile(r"^\s*(?:[^:\s]+::)?([A-Za-z0-9_.\-]+)")


def _spec_name(spec: str) -> str:
    match = _SPEC_NAME_RE.match(spec)
    return match.group(1).lower() if match else spec.strip().lower()


def _requested_names(prefix: Path) -> set[str]:
    """Names the user asked for, from conda's history (`list --json` does not say)."""
    try:
        return {name.lower() for name in read_history(prefix).requested_names}
    except (OSError, ValueError):
        return set()


def _with_requested(package: Package) -> Package:
    return replace(package, requested=True)


class CondaEngine(CondaCliEngine):
    name = "conda"
    transaction_flags = ("-vv",)
    knows_commit_point = True


class MambaEngine(CondaCliEngine):
    name = "mamba"


class MicromambaEngine(CondaCliEngine):
    name = "micromamba"


CONDA_CLI_ENGINES: dict[str, type[CondaCliEngine]] = {
    "conda": CondaEngine,
    "mamba": MambaEngine,
    "micromamba": MicromambaEngine,
}
