"""The pip layer of a rattler-made conda prefix: PyPI packages installed on top of
the conda ones by `uv pip` into the prefix's own Python, and recorded as
`# pip requested:` / `# pip removed:` lines in conda-meta/history so from-history
exports keep them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ..conda_prefix import append_history
from ..errors import EngineFailure, InvalidRequest, PackagesNotFound, Unsatisfiable
from ..models import Package, PackageChange, ProgressCallback, ProgressEvent
from ..site_packages import list_pip_packages, normalize_name
from ..subprocess_runner import run_command
from ..versions import pypi_newer
from .rattler_records import COMMAND

_UV_LINE_RE = re.compile(r"^\s*([+-])\s+([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+)|\s+@\s+(\S+))")
_UV_MISSING_RE = re.compile(r"Because (\S+) was not found in the (?:package registry|cache)")
_WHEEL_VERSION_RE = re.compile(r"/[^/-]+-([^-/]+)-[^/]*\.whl$")


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
            action = "update" if pypi_newer(now.version, was.version) else "downgrade"
            if now.version == was.version:
                action = "reinstall"
            changes.append(PackageChange(name, action, "pypi", was.version, now.version))
    return changes


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
                    action = "update" if pypi_newer(new, old) else "downgrade"
                changes.append(PackageChange(name, action, "pypi", old, new))
        else:
            changes.append(PackageChange(name, "remove", "pypi", removes[name], None))
    return changes


async def run_uv_pip(
    prefix: Path, args: list[str], progress: ProgressCallback, stage: str = "pip"
) -> str:
    """Run `uv pip ARGS` against the prefix's Python; its output, or the error it means."""
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


async def pip_install(
    prefix: Path, requirements: list[str], progress: ProgressCallback, *, dry_run: bool
) -> list[PackageChange]:
    before = list_pip_packages(prefix)
    if dry_run:
        # uv creates an empty `.lock` in the environment even for a dry run;
        # a dry run must leave the prefix exactly as it was.
        uv_lock = prefix / ".lock"
        had_lock = uv_lock.exists()
        try:
            output = await run_uv_pip(prefix, ["install", "--dry-run", *requirements], progress)
        finally:
            if not had_lock and uv_lock.is_file() and uv_lock.stat().st_size == 0:
                uv_lock.unlink()
        return _parse_uv_plan(output, before)
    progress(ProgressEvent("pip", f"Installing {', '.join(requirements)} with uv"))
    await run_uv_pip(prefix, ["install", *requirements], progress)
    append_history(prefix, command=f"{COMMAND} pip install", pip_requested=requirements)
    return _pip_diff(before, list_pip_packages(prefix))


async def pip_uninstall(prefix: Path, names: list[str], progress: ProgressCallback) -> None:
    await run_uv_pip(prefix, ["uninstall", *names], progress)
    append_history(prefix, command=f"{COMMAND} pip uninstall", pip_removed=names)
