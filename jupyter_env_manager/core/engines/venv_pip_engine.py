"""PyPI virtual environments with only the standard library's `venv` and pip.

The fallback when uv is missing: the same operations as `UvEngine` (all shared
in `VenvEngineBase`), with `python -m venv <prefix>` and
`<prefix>/bin/python -m pip ...` as the commands. Slower (pip is seeded into
every venv from `ensurepip`, offline), but needs nothing beyond Python.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.version import Version

from ..errors import (
    ChannelUnreachable,
    EngineFailure,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from ..models import ChangePlan, Package, ProgressCallback
from ..network_errors import network_reason
from ..site_packages import normalize_name
from ..subprocess_runner import CommandResult, run_command
from .pypi_index import DEFAULT_INDEX_URL
from .python_request import own_interpreter_serves, own_version, version_satisfies
from .venv_base import InstallOptions, VenvEngineBase, plan_from_versions
from .venv_state import requirement_name

_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
# Minor versions probed on PATH when looking for a requested Python.
_MINORS = range(8, 21)
_NOT_FOUND_RE = re.compile(
    r"Could not find a version that satisfies the requirement (\S+) \(from versions: ([^)]*)\)"
)
_NETWORK_RE = re.compile(
    r"(NewConnectionError|Max retries exceeded|Could not fetch URL|Temporary failure in name)"
)


class VenvPipEngine(VenvEngineBase):
    """`python -m venv` + pip: the same environments as uv makes, without uv."""

    name = "venv"
    tool = "pip"

    @classmethod
    def is_available(cls) -> bool:
        # Debian's python3 lacks ensurepip unless python3-venv is installed.
        return all(importlib.util.find_spec(m) is not None for m in ("venv", "ensurepip"))

    def version(self) -> str | None:
        """The pip version `python -m venv` seeds new environments with."""
        try:
            import ensurepip

            return ensurepip.version()
        except ImportError:
            return None

    # ----------------------------------------------------------------- interpreters

    async def _probe(self, interpreter: str) -> str | None:
        if interpreter == sys.executable:
            return own_version()  # listed in a refusal's versions found; no process
        try:
            result = await run_command([interpreter, "-c", _PROBE], timeout=20)
        except (OSError, TimeoutError):
            return None
        version = result.stdout.strip()
        valid = result.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", version)
        return version if valid else None

    def _candidates(self, request: str | None) -> list[str]:
        names = [sys.executable]
        if request and re.fullmatch(r"\d+\.\d+(\.\d+)?", request):
            names.append(f"python{'.'.join(request.split('.')[:2])}")
        names += [f"python3.{minor}" for minor in _MINORS] + ["python3"]
        seen: set[str] = set()
        found = []
        for name in names:
            path = name if os.path.isabs(name) else shutil.which(name)
            if path and os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                found.append(path)
        return found

    async def _find_python(self, request: str | None) -> str:
        if own_interpreter_serves(request):
            return sys.executable
        if os.path.isabs(request):
            return request
        found: dict[str, str] = {}
        for candidate in self._candidates(request):
            version = await self._probe(candidate)
            if version is None:
                continue
            if version_satisfies(request, version):
                return candidate
            found.setdefault(version, candidate)
        shown = ", ".join(sorted(found, key=Version)) or "none"
        raise InvalidRequest(f"Python {request} is not installed on this machine; found: {shown}.")

    # ----------------------------------------------------------------- commands

    async def _make_venv(
        self, prefix: Path, python: str | None, progress: ProgressCallback
    ) -> None:
        interpreter = await self._find_python(python)
        result = await self._run([interpreter, "-m", "venv", prefix], "create", progress)
        if result.returncode != 0:
            raise EngineFailure(f"python -m venv failed: {result.stderr.strip()[-2000:]}")

    def _index_options(self) -> list[str]:
        args = super()._index_options()
        # pip cannot install from its cache alone: offline means the wheelhouse only.
        if self.offline and "--no-index" not in args:
            args.append("--no-index")
        return args

    def _install_argv(self, python: Path, options: InstallOptions) -> list[str]:
        args: list[str] = [os.fspath(python), "-m", "pip", "install", "--no-input"]
        requirements = list(options.requirements)
        if options.dry_run:
            # The report (JSON on stdout) lists what would be installed.
            args += ["--dry-run", "--quiet", "--report", "-"]
        if options.upgrade_all:
            args.append("--upgrade")
        elif options.upgrade:
            # pip has no --upgrade-package: upgrade exactly the named requirements.
            wanted = set(options.upgrade)
            requirements = [r for r in requirements if requirement_name(r) in wanted]
            args.append("--upgrade")
        if options.no_deps:
            args.append("--no-deps")
        args += self._index_options()
        if options.requirement_file:
            args += ["--requirement", os.fspath(options.requirement_file)]
        return args + requirements

    def _uninstall_argv(self, python: Path, names: Sequence[str]) -> list[str]:
        return [os.fspath(python), "-m", "pip", "uninstall", "--yes", *names]

    def _interpret_line(self, line: str) -> tuple[str | None, str | None]:
        if line.startswith("Collecting "):
            return "resolve", normalize_name(line.split()[1].split("=")[0].split("<")[0])
        if line.startswith(("Installing collected packages", "Successfully installed")):
            return "install", None
        return None, None

    # ----------------------------------------------------------------- output

    def _dry_run_plan(self, result: CommandResult, installed: Sequence[Package]) -> ChangePlan:
        try:
            report = json.loads(result.stdout)
        except ValueError:
            raise EngineFailure("pip printed no installation report for the dry run.") from None
        versions = {p.name: p.version for p in installed}
        added: dict[str, str] = {}
        for item in report.get("install", []):
            metadata = item.get("metadata", {})
            if metadata.get("name") and metadata.get("version"):
                added[normalize_name(metadata["name"])] = metadata["version"]
        removed = {name: versions[name] for name in added if name in versions}
        reinstalled = [name for name in added if versions.get(name) == added[name]]
        for name in reinstalled:
            del added[name], removed[name]
        return plan_from_versions(installed, removed, added, reinstalled)

    def _failure(self, result: CommandResult) -> Exception:
        text = result.stderr
        lines = [line.removeprefix("ERROR: ").strip() for line in text.splitlines()]
        missing = [
            match.group(1)
            for match in _NOT_FOUND_RE.finditer(text)
            if match.group(2).strip() == "none"
        ]
        if _NETWORK_RE.search(text) and (missing or not _NOT_FOUND_RE.search(text)):
            # pip reports "from versions: none" for an index it never reached.
            reason = network_reason(text, self.index_url or DEFAULT_INDEX_URL)
            return ChannelUnreachable(
                f"The package index {self._where()} could not be reached: "
                f"{reason or 'pip could not connect'}."
            )
        if missing:
            return PackagesNotFound(
                sorted({requirement_name(m) for m in missing}), where=self._where()
            )
        if "ResolutionImpossible" in text or "conflicting dependencies" in text:
            kept = [
                line
                for line in lines
                if line
                and not line.startswith(("To fix this", "1.", "2.", "For help", "Collecting"))
                and "ResolutionImpossible" not in line
                and "Looking in" not in line
            ]
            return Unsatisfiable("\n".join(kept[:40]), details={"tool": "pip"})
        unsatisfied = _NOT_FOUND_RE.search(text)
        if unsatisfied:
            return Unsatisfiable(
                f"No version of {unsatisfied.group(1)} matches; available: {unsatisfied.group(2)}.",
                details={"tool": "pip"},
            )
        tail = "\n".join(line for line in lines if line)[-2000:]
        return EngineFailure(f"pip failed (exit {result.returncode}): {tail}")
