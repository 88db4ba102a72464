"""PyPI virtual environments made and filled by uv.

Everything the venv engines share lives in `VenvEngineBase` (venv_base.py); this
module holds only what is uv's own: its command lines, and how to read its
progress lines, dry-run plans and error messages.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ..errors import (
    ChannelUnreachable,
    EngineFailure,
    EngineUnavailable,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from ..info import tool_version, uv_binary
from ..models import ChangePlan, Package, ProgressCallback
from ..network_errors import failed_url, layers, network_reason
from ..site_packages import normalize_name
from ..subprocess_runner import CommandResult, run_command
from .python_request import own_interpreter_serves
from .venv_base import InstallOptions, VenvEngineBase, plan_from_versions

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
            sys.executable if own_interpreter_serves(python) else python,
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
            reason = network_reason(text, failed_url(text) or self.index_url)
            return ChannelUnreachable(
                f"The package index {self._where()} could not be reached: "
                f"{reason or '; '.join(layers(explanation))}."
            )
        return EngineFailure(f"uv failed (exit {result.returncode}): {explanation}")


def _valid(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True
