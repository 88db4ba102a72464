"""Engine that drives an installed conda, mamba or micromamba through its `--json` CLI.

The module has two halves:

- pure parsers (`parse_*`, `error_from_output`) that turn a tool's printed text into
  our models and errors; they are tested on real recorded outputs;
- `CondaCliEngine`, which builds argument lists, runs them with
  `subprocess_runner.run_command` (never a shell) and hands the text to the parsers.

The three tools agree on most JSON shapes but not all: micromamba's `info --json`
uses human-readable keys ("base environment", "envs directories"), mamba 2 prints a
bare version number for `--version`, conda 4.3 printed `actions` as a list, and
mamba 1 printed solver failures as plain text even with `--json`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ..errors import (
    EngineFailure,
    EngineUnavailable,
    EnvironmentNotFound,
    EnvManagerError,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
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
from ..specfiles import check_conda_spec, parse_requirements
from ..subprocess_runner import CommandResult, StreamName, run_command
from .base import Engine

CONDA_TOOLS: tuple[str, ...] = ("conda", "mamba", "micromamba")
_VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[.\w+-]*)?")
_VERSION_PROBE_TIMEOUT = 30.0

# ---------------------------------------------------------------------------
# Parsers: pure functions of the text a tool printed.
# ---------------------------------------------------------------------------


def extract_json(text: str) -> Any:
    """The first JSON document in a tool's output, skipping noise before it.

    Tools print progress bars, `DryRunExit: ...` lines and NUL-separated progress
    records around the document we want, so we decode from the first line that
    opens an object or array rather than from the first character.
    """
    cleaned = text.replace("\0", "\n")
    decoder = json.JSONDecoder()
    offset = 0
    for line in cleaned.splitlines(keepends=True):
        stripped = line.lstrip()
        if stripped[:1] in ("{", "["):
            start = offset + (len(line) - len(stripped))
            try:
                value, _ = decoder.raw_decode(cleaned, start)
            except json.JSONDecodeError:
                pass
            else:
                return value
        offset += len(line)
    raise ValueError("no JSON document in the output")


@dataclass(frozen=True)
class CondaInfo:
    """What `info --json` tells, in one shape for conda and micromamba."""

    root_prefix: Path | None
    envs: tuple[Path, ...] = ()
    envs_dirs: tuple[Path, ...] = ()
    version: str | None = None
    platform: str | None = None
    channels: tuple[str, ...] = field(default_factory=tuple)


def _paths(value: object) -> tuple[Path, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(Path(item) for item in value if isinstance(item, str) and item)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def parse_info(text: str) -> CondaInfo:
    """Parse `conda info --json`, `conda env list --json` or `micromamba info --json`."""
    data = _json_object(text, "info")
    root = data.get("root_prefix") or data.get("base environment")
    version = (
        data.get("conda_version")
        or data.get("micromamba version")
        or data.get("mamba version")
        or data.get("libmamba version")
    )
    return CondaInfo(
        root_prefix=Path(root) if isinstance(root, str) and root else None,
        envs=_paths(data.get("envs")),
        envs_dirs=_paths(data.get("envs_dirs") or data.get("envs directories")),
        version=version if isinstance(version, str) else None,
        platform=data.get("platform") if isinstance(data.get("platform"), str) else None,
        channels=_strings(data.get("channels")),
    )


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = extract_json(text)
    except ValueError:
        raise EngineFailure(
            f"The conda tool printed no JSON for {what}: {_excerpt(text)}"
        ) from None
    if not isinstance(data, dict):
        raise EngineFailure(f"Unexpected JSON from the conda tool for {what}.")
    return data


def _excerpt(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _package_from_record(record: dict[str, Any]) -> Package | None:
    name, version = record.get("name"), record.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    channel = record.get("channel")
    build = record.get("build_string") or record.get("build")
    # conda reports pip-installed packages in `list --json` with channel "pypi".
    source = "pypi" if channel == "pypi" else "conda"
    return Package(
        name=normalize_name(name) if source == "pypi" else name,
        version=version,
        source=source,
        build=build if isinstance(build, str) else None,
        channel=channel if isinstance(channel, str) else None,
        url=record.get("url") if isinstance(record.get("url"), str) else None,
        sha256=record.get("sha256") if isinstance(record.get("sha256"), str) else None,
    )


def parse_list(text: str) -> list[Package]:
    """Parse `list --json`: one record per installed package, sorted by name."""
    try:
        data = extract_json(text)
    except ValueError:
        raise EngineFailure(f"The conda tool printed no package list: {_excerpt(text)}") from None
    if not isinstance(data, list):
        raise EngineFailure("Unexpected JSON from the conda tool for the package list.")
    packages = [p for p in (_package_from_record(r) for r in data if isinstance(r, dict)) if p]
    return sorted(packages, key=lambda p: (p.name.lower(), p.source))


def parse_search(text: str) -> list[Package]:
    """Parse `search --json`: `{name: [record, ...]}`, one Package per record."""
    data = _json_object(text, "search")
    found: list[Package] = []
    for records in data.values():
        if not isinstance(records, list):
            continue
        found.extend(
            p for p in (_package_from_record(r) for r in records if isinstance(r, dict)) if p
        )
    return sorted(found, key=lambda p: (p.name.lower(), _version_key(p.version)))


_DIST_RE = re.compile(
    r"^(?:(?P<channel>[^:]+)::)?(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-\s]+)"
)


def _transaction_entry(entry: object) -> tuple[str, str | None] | None:
    """(name, version) of a LINK/UNLINK entry: a record, or conda 4.2's `ch::dist` string."""
    if isinstance(entry, dict):
        name = entry.get("name")
        version = entry.get("version")
        if isinstance(name, str):
            return name, version if isinstance(version, str) else None
        return None
    if isinstance(entry, str):
        match = _DIST_RE.match(entry)
        if match:
            return match.group("name"), match.group("version")
    return None


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key for conda versions good enough to tell an update from a downgrade."""
    parts: list[tuple[int, int | str]] = []
    for token in re.findall(r"\d+|[A-Za-z]+", version):
        parts.append((1, int(token)) if token.isdigit() else (0, token.lower()))
    return tuple(parts)


def parse_transaction(text: str, *, dry_run: bool) -> ChangePlan:
    """Turn the `actions` of create/install/update/remove `--json` into a ChangePlan.

    A package both unlinked and linked is an update, a downgrade or a reinstall,
    decided by comparing versions.
    """
    data = _json_object(text, "the transaction")
    actions = data.get("actions", {})
    # conda 4.3 printed a list of per-prefix action dicts; later versions one dict.
    groups = actions if isinstance(actions, list) else [actions]
    linked: dict[str, str | None] = {}
    unlinked: dict[str, str | None] = {}
    for group in groups:
        if not isinstance(group, dict):
            continue
        for key, target in (("LINK", linked), ("UNLINK", unlinked)):
            for entry in group.get(key) or []:
                parsed = _transaction_entry(entry)
                if parsed:
                    target[parsed[0]] = parsed[1]
    changes: list[PackageChange] = []
    for name in sorted(set(linked) | set(unlinked), key=str.lower):
        old, new = unlinked.get(name), linked.get(name)
        action: ChangeAction
        if name not in unlinked:
            action = "install"
        elif name not in linked:
            action = "remove"
        elif old == new or old is None or new is None:
            action = "reinstall"
        elif _version_key(new) > _version_key(old):
            action = "update"
        else:
            action = "downgrade"
        changes.append(
            PackageChange(
                name=name,
                action=action,
                source="conda",
                old_version=old if name in unlinked else None,
                new_version=new if name in linked else None,
            )
        )
    return ChangePlan(changes=tuple(changes), dry_run=dry_run)


# exception_name (conda) / error_type (conda 3) → what the user did wrong.
_NOT_FOUND_ERRORS = {"PackagesNotFoundError", "PackageNotFoundError", "ResolvePackageNotFound"}
_UNSAT_ERRORS = {
    "UnsatisfiableError",
    "UnsatisfiableSpecifications",
    "SpecsConfigurationConflictError",
    "LibMambaUnsatisfiableError",
}
_NO_ENV_ERRORS = {
    "EnvironmentLocationNotFound",
    "EnvironmentNameNotFound",
    "DirectoryNotACondaEnvironmentError",
}
_BAD_INPUT_ERRORS = {
    "CondaValueError",
    "InvalidMatchSpec",
    "InvalidSpec",
    "InvalidVersionSpec",
    "CondaEnvException",
    "SpecNotFound",
}
_NOTHING_PROVIDES_RE = re.compile(r"nothing provides requested (\S+)")


def _error_text(data: dict[str, Any]) -> str:
    for key in ("message", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != "...":
            return value.strip()
    for key in ("message", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def error_from_output(tool: str, returncode: int, stdout: str, stderr: str) -> EnvManagerError:
    """The user-facing error for a failed command, from its error JSON or text."""
    try:
        data = extract_json(stdout)
    except ValueError:
        data = None
    if isinstance(data, dict) and ("exception_name" in data or "error_type" in data):
        kind = data.get("exception_name") or data.get("error_type")
        message = _error_text(data) or f"{tool} failed with {kind}"
        if kind in _NOT_FOUND_ERRORS:
            names = [p for p in data.get("packages") or [] if isinstance(p, str)]
            if names:
                return PackagesNotFound(names, where=f"the channels {tool} uses")
            return Unsatisfiable(message, details={"tool": tool, "exception": kind})
        if kind in _UNSAT_ERRORS:
            return Unsatisfiable(message, details={"tool": tool, "exception": kind})
        if kind in _NO_ENV_ERRORS:
            return EnvironmentNotFound(message)
        if kind in _BAD_INPUT_ERRORS:
            return InvalidRequest(message)
        return EngineFailure(message, details={"tool": tool, "exception": kind})
    # mamba 1 ignored --json for solver failures and printed text instead.
    text = "\n".join(part for part in (stdout, stderr) if part.strip())
    missing = _NOTHING_PROVIDES_RE.findall(text)
    if missing:
        return PackagesNotFound(missing, where=f"the channels {tool} uses")
    if "Encountered problems while solving" in text or "Could not solve for environment" in text:
        return Unsatisfiable(_excerpt(text, 2000), details={"tool": tool})
    return EngineFailure(
        f"{tool} exited with code {returncode}: {_excerpt(text) or 'no output'}",
        details={"tool": tool, "returncode": returncode},
    )


def export_to_yaml(text: str, *, drop_prefix: bool = True) -> str:
    """An `env export --json` document as environment.yml text.

    The `prefix:` line names a path on this machine and is useless (or misleading)
    elsewhere, so it is dropped unless asked for.
    """
    data = _json_object(text, "env export")
    ordered: dict[str, Any] = {}
    for key in ("name", "channels", "dependencies"):
        if key in data:
            ordered[key] = data[key] if data[key] is not None else []
    ordered.setdefault("channels", [])
    ordered.setdefault("dependencies", [])
    for key, value in data.items():
        if key not in ordered and not (drop_prefix and key == "prefix"):
            ordered[key] = value
    return yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False)


# ---------------------------------------------------------------------------
# Tool discovery
# ---------------------------------------------------------------------------


def detect_conda_tools(
    search_path: str | None = None, *, with_versions: bool = True
) -> dict[str, dict[str, str | None]]:
    """Which of conda, mamba and micromamba are on PATH, with their versions.

    Finding the executables costs a PATH lookup; each version costs one short
    `--version` subprocess (conda's is about 0.3 s), so `/info` should cache this.
    """
    found: dict[str, dict[str, str | None]] = {}
    for tool in CONDA_TOOLS:
        path = shutil.which(tool, path=search_path)
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


class CondaCliEngine(Engine):
    """Drive one conda-family executable. Subclasses fix which one."""

    name: ClassVar[str] = "conda"
    kind = "conda"

    def __init__(self, executable: str | os.PathLike[str] | None = None):
        resolved = os.fspath(executable) if executable is not None else shutil.which(self.name)
        if resolved is None:
            raise EngineUnavailable(
                f"{self.name} is not installed (not found on PATH); install it or pick "
                "another engine."
            )
        self.executable = resolved
        self._version: str | None = None

    def validate_specs(self, conda: list[str], pip: list[str]) -> None:
        for spec in conda:
            check_conda_spec(spec)
        parse_requirements(pip)

    @classmethod
    def is_available(cls) -> bool:
        return shutil.which(cls.name) is not None

    def version(self) -> str | None:
        if self._version is None:
            self._version = tool_version(self.executable, self.name)
        return self._version

    # -- running ------------------------------------------------------------

    def _argv(self, *args: str | os.PathLike[str]) -> list[str]:
        return [self.executable, *(os.fspath(a) for a in args)]

    async def _run(
        self,
        args: Sequence[str | os.PathLike[str]],
        progress: ProgressCallback = ignore_progress,
        *,
        stage: str = "run",
        accept_dry_run_exit: bool = False,
    ) -> CommandResult:
        """Run the tool; a non-zero exit becomes the matching EnvManagerError."""

        def forward(stream: StreamName, line: str) -> None:
            # stdout carries the JSON document; stderr carries what a person would read.
            if stream == "stderr" and line.strip():
                progress(ProgressEvent(stage=stage, message=line.strip()))

        argv = self._argv(*args)
        try:
            result = await run_command(argv, on_line=forward, env=self._child_env())
        except (FileNotFoundError, PermissionError) as exc:
            raise EngineUnavailable(f"Cannot run {self.executable}: {exc}") from exc
        if result.returncode != 0:
            # conda exits non-zero after a --json --dry-run (DryRunExit) yet prints the plan.
            if accept_dry_run_exit and _has_actions(result.stdout):
                return result
            raise error_from_output(self.name, result.returncode, result.stdout, result.stderr)
        return result

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Never let the tool stop and ask; never let colour codes into the JSON.
        env.setdefault("CONDA_ALWAYS_YES", "true")
        env["NO_COLOR"] = "1"
        return env

    def _channel_args(self, channels: list[str] | None) -> list[str]:
        if not channels:
            return []
        args = ["--override-channels"]
        for channel in channels:
            args += ["-c", channel]
        return args

    async def info(self) -> CondaInfo:
        result = await self._run(["info", "--json"], stage="info")
        return parse_info(result.stdout)

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
        await self._run(
            ["create", "--prefix", prefix, "--yes", "--json", *self._channel_args(spec.channels)]
            + ["--", *specs],
            progress,
            stage="create",
        )
        if spec.pip:
            await self._pip_install(prefix, spec.pip, progress)

    async def clone(
        self, source: Environment, prefix: Path, progress: ProgressCallback = ignore_progress
    ) -> None:
        if self.name == "conda":
            await self._run(
                ["create", "--prefix", prefix, "--clone", source.prefix, "--yes", "--json"],
                progress,
                stage="clone",
            )
            return
        # mamba 2 and micromamba have no --clone: rebuild from an exact lock instead.
        lock = await self.export(source, "lock")
        await self.create_from_lock(prefix, lock, progress)

    async def create_from_lock(
        self, prefix: Path, lock_text: str, progress: ProgressCallback = ignore_progress
    ) -> None:
        from ..specfiles import is_explicit_lock

        if not is_explicit_lock(lock_text):
            raise InvalidRequest(
                "This is not a conda lock: an explicit lock starts with an '@EXPLICIT' line "
                "followed by package URLs (as written by `conda list --explicit --md5`)."
            )
        with tempfile.TemporaryDirectory(prefix="jem-lock-") as tmp:
            lock_file = Path(tmp) / "lock.txt"
            lock_file.write_text(lock_text, encoding="utf-8")
            await self._run(
                ["create", "--prefix", prefix, "--yes", "--json", "--file", lock_file],
                progress,
                stage="create",
            )

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
        if dry_run:
            flags.append("--dry-run")
        full = [*args[:split], *flags, *args[split:]]
        result = await self._run(full, progress, stage=stage, accept_dry_run_exit=dry_run)
        if not result.stdout.strip():
            # mamba 2 printed nothing for an empty transaction (mamba-org/mamba#3583).
            return ChangePlan(changes=(), dry_run=dry_run)
        return parse_transaction(result.stdout, dry_run=dry_run)

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
                + _excerpt(result.stderr or result.stdout, 2000),
                details={"tool": "pip"},
            )
        after = {p.name: p.version for p in list_pip_packages(prefix)}
        changes: list[PackageChange] = []
        for name in sorted(after):
            old, new = before.get(name), after[name]
            if old == new:
                continue
            action: ChangeAction = (
                "install"
                if old is None
                else ("update" if _version_key(new) > _version_key(old) else "downgrade")
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
        result = await self._run(
            ["search", "--json", *self._channel_args(channels), "--", pattern], stage="search"
        )
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
            return "".join(f"{p.name}=={p.version}\n" for p in list_pip_packages(env.prefix))
        extra = {"yml": [], "no-builds": ["--no-builds"], "from-history": ["--from-history"]}
        if fmt not in extra:
            raise InvalidRequest(f"Unknown export format {fmt!r}.")
        result = await self._run(
            ["env", "export", "--prefix", env.prefix, *extra[fmt], "--json"], stage="export"
        )
        return export_to_yaml(result.stdout)


def _has_actions(stdout: str) -> bool:
    try:
        data = extract_json(stdout)
    except ValueError:
        return False
    return isinstance(data, dict) and "actions" in data


_SPEC_NAME_RE = re.compile(r"^\s*(?:[^:\s]+::)?([A-Za-z0-9_.\-]+)")


def _spec_name(spec: str) -> str:
    match = _SPEC_NAME_RE.match(spec)
    return match.group(1).lower() if match else spec.strip().lower()


class CondaEngine(CondaCliEngine):
    name = "conda"


class MambaEngine(CondaCliEngine):
    name = "mamba"


class MicromambaEngine(CondaCliEngine):
    name = "micromamba"


CONDA_CLI_ENGINES: dict[str, type[CondaCliEngine]] = {
    "conda": CondaEngine,
    "mamba": MambaEngine,
    "micromamba": MicromambaEngine,
}
