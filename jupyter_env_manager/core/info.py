"""What this installation can do: package version, the engines found, and which
conda the conda engine drives (path, version, solver, root, envs dirs).

Version probes start subprocesses, so the result is computed once per process
and kept; tools do not appear or vanish while a server runs often enough to
justify probing on every request. `conda info --json` (seconds) runs once per
executable, shared with discovery's fallback (`conda_config.conda_info`); callers
on an event loop run `collect_info` in a thread.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata

from .. import __version__
from . import conda_config

CONDA_TOOLS = ("conda", "mamba", "micromamba")
_VERSION_RE = re.compile(r"(\d+\.\d+(?:\.\d+)?(?:[.\w-]*)?)")


@dataclass(frozen=True)
class EngineInfo:
    name: str
    available: bool
    version: str | None = None
    path: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def parse_version_output(text: str, tool: str | None = None) -> str | None:
    """The tool's own version from its `--version` output.

    conda prints `conda 24.7.1`, mamba 2 and micromamba only `2.0.8`, uv
    `uv 0.5.1 (abc 2024-10-21)`. mamba 1 prints `mamba 1.5.11` and then the conda
    it runs on: the line naming `tool` wins.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if tool is not None:
        for line in lines:
            word, _, rest = line.partition(" ")
            match = _VERSION_RE.search(rest) if word == tool else None
            if match:
                return match.group(1)
    for line in lines:
        match = _VERSION_RE.search(line)
        if match:
            return match.group(1)
    return None


@functools.lru_cache(maxsize=16)
def tool_version(path: str, tool: str | None = None) -> str | None:
    """Run `path --version` once per process and parse it."""
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_version_output(done.stdout or done.stderr, tool)


def uv_binary() -> str | None:
    """The uv executable: the one shipped by the `uv` wheel, else one on PATH."""
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _cli_engine(name: str, path: str | None) -> EngineInfo:
    if path is None:
        return EngineInfo(name=name, available=False)
    return EngineInfo(name=name, available=True, version=tool_version(path, name), path=path)


def _rattler_engine() -> EngineInfo:
    try:
        version = metadata.version("py-rattler")
    except metadata.PackageNotFoundError:
        return EngineInfo(name="rattler", available=False)
    return EngineInfo(name="rattler", available=True, version=version)


@functools.cache
def detect_engines() -> tuple[EngineInfo, ...]:
    engines = [_cli_engine(tool, shutil.which(tool)) for tool in CONDA_TOOLS]
    engines.append(_rattler_engine())
    engines.append(_cli_engine("uv", uv_binary()))
    return tuple(engines)


def _is_conda(executable: str) -> bool:
    # mamba 2 and micromamba answer `info --json` in their own shapes, without a solver.
    return os.path.basename(executable).split(".")[0].lower() == "conda"


def conda_in_use(conda_executable: str | None = None) -> dict[str, object] | None:
    """The conda the conda engine runs (the configured one, else `conda` on PATH), as
    it describes itself; None when there is none."""
    configured = conda_executable if conda_executable and _is_conda(conda_executable) else None
    path = configured or shutil.which("conda")
    if not path:
        return None
    info = conda_config.conda_info(path) or {}
    solver = info.get("solver")
    if isinstance(solver, dict):
        solver = solver.get("name")
    return {
        "path": path,
        "version": info.get("conda_version") or tool_version(path, "conda"),
        "solver": solver if isinstance(solver, str) else None,
        "root_prefix": info.get("root_prefix"),
        "envs_dirs": info.get("envs_dirs") or [],
    }


def collect_info(conda_executable: str | None = None) -> dict[str, object]:
    return {
        "version": __version__,
        "engines": [engine.to_json() for engine in detect_engines()],
        "conda": conda_in_use(conda_executable),
    }
