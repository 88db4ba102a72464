"""Where conda keeps environments, worked out the way conda 26 does, without running it.

Listing must not start a conda process (`conda info --json` takes seconds), so this
reads what conda itself reads:

- the root ("base") prefix: from the configured executable, `CONDA_EXE`,
  `MAMBA_ROOT_PREFIX`, the `conda`/`mamba` found on PATH (`<root>/condabin/conda`,
  `<root>/bin/conda`, `<root>\\Scripts\\conda.exe`), an activated `CONDA_PREFIX`.
  Only when none of these gives a prefix (a wrapper script elsewhere on PATH) is
  `conda info --json` run, once, in a background thread; its answer is kept for the
  life of the process and used from the next listing on.
- `envs_dirs`: conda's `context.envs_dirs`. Configured directories first, most
  important source first: `CONDA_ENVS_DIRS`/`CONDA_ENVS_PATH`, `$CONDARC`, the active
  env's condarc, `~/.condarc`, `~/.conda/`, `~/.config/conda/`, `$XDG_CONFIG_HOME/conda/`,
  the root's condarc (`$CONDA_ROOT`, which conda sets to its own prefix), `/var/lib/conda`,
  `/etc/conda` (each as `.condarc`, `condarc`, `condarc.d/*.yml`; key `envs_dirs` or
  its alias `envs_path`). Then `<root>/envs` and `~/.conda/envs`, in that order when
  the root is writable (its `conda-meta/history` is), else the other way round.
  Duplicates keep their first place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .paths import path_key, unique_paths

ROOT_ENV_NAME = "base"
#: Names conda accepts for the base env in `-n` (`conda.base.constants.RESERVED_ENV_NAMES`).
RESERVED_ENV_NAMES = ("base", "root")

_CONDARC_NAMES = (".condarc", "condarc")
_YAML_SUFFIXES = (".yml", ".yaml")
_VAR = re.compile(r"\$(\w+|\{[^}]*\})")


@dataclass(frozen=True)
class CondaSetup:
    """The root conda would use (None when no conda-family install was found) and its
    envs dirs in conda's order."""

    root_prefix: Path | None
    envs_dirs: list[Path]
    #: Roots of other installs (a micromamba root beside a Miniforge): their
    #: `envs` folders hold environments too, which conda names by full path.
    other_roots: list[Path]


# -- the root ------------------------------------------------------------------


def is_conda_prefix(path: Path) -> bool:
    return (path / "conda-meta").is_dir()


def root_of_executable(executable: str | os.PathLike[str]) -> Path | None:
    """The base prefix a conda or mamba executable belongs to, from its location alone."""
    path = Path(executable)
    tried = [path]
    try:
        resolved = path.resolve()
    except OSError:
        resolved = path
    if resolved != path:
        tried.append(resolved)
    for candidate in tried:
        folder = candidate.parent
        # <root>/bin, <root>/condabin, <root>\Scripts; conda.bat also sits in <root>\Library\bin.
        parents = [folder.parent]
        if folder.name.lower() == "bin" and folder.parent.name.lower() == "library":
            parents.insert(0, folder.parent.parent)
        for root in parents:
            if is_conda_prefix(root):
                return root
    return None


def _has_conda(prefix: Path) -> bool:
    names = ("condabin/conda", "bin/conda", "condabin/conda.bat", "Scripts/conda.exe")
    return any((prefix / name).exists() for name in names)


def _tool_name(executable: str) -> str:
    return Path(executable).name.split(".")[0].lower()


def _which(tool: str, environ: Mapping[str, str]) -> str | None:
    search = environ.get("PATH")
    return shutil.which(tool, path=search) if search else None


def _micromamba_default_roots(environ: Mapping[str, str]) -> list[Path]:
    # micromamba 2 defaults to $XDG_DATA_HOME/mamba (~/.local/share/mamba), 1.x to ~/micromamba.
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return [Path(data_home) / "mamba", Path.home() / "micromamba"]


def _root_candidates(environ: Mapping[str, str], conda_executable: str | None) -> list[Path]:
    """Every root the environment points at, most authoritative first."""
    found: list[Path] = []
    executables = [conda_executable, environ.get("CONDA_EXE")]
    for executable in executables:
        if executable and _tool_name(executable) != "micromamba":
            root = root_of_executable(executable)
            if root is not None:
                found.append(root)
    mamba_root = environ.get("MAMBA_ROOT_PREFIX")
    if mamba_root:
        found.append(Path(mamba_root))
    for tool in ("conda", "mamba"):
        executable = _which(tool, environ)
        root = root_of_executable(executable) if executable else None
        if root is not None:
            found.append(root)
    active = environ.get("CONDA_PREFIX")
    if active:
        # An activated `<root>/envs/<name>`, or base itself (it carries conda); any
        # other activated prefix says nothing about where the root is.
        path = Path(active)
        if path.parent.name == "envs" and is_conda_prefix(path.parent.parent):
            found.append(path.parent.parent)
        elif is_conda_prefix(path) and _has_conda(path):
            found.append(path)
    uses_micromamba = (conda_executable and _tool_name(conda_executable) == "micromamba") or (
        _which("micromamba", environ) is not None
    )
    if uses_micromamba and not mamba_root:
        found += [p for p in _micromamba_default_roots(environ) if (p / "envs").is_dir()]
    return unique_paths(found)


def _root_from_conda_info(environ: Mapping[str, str], conda_executable: str | None) -> Path | None:
    """Last resort, for a conda whose location says nothing (a wrapper script on PATH)."""
    executable = conda_executable or environ.get("CONDA_EXE") or _which("conda", environ)
    if executable and _tool_name(executable) in ("conda", "mamba"):
        info = background_conda_info(executable)
        if info and isinstance(info.get("root_prefix"), str):
            return Path(info["root_prefix"])
    return None


def find_root(environ: Mapping[str, str], conda_executable: str | None = None) -> Path | None:
    """The root conda would call `base`, or None; never waits for a subprocess."""
    candidates = _root_candidates(environ, conda_executable)
    return candidates[0] if candidates else _root_from_conda_info(environ, conda_executable)


# -- conda info, once, in the background ------------------------------------------


class _CondaInfo:
    """`conda info --json` per executable, run at most once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[str, dict | None] = {}
        self._threads: dict[str, threading.Thread] = {}

    def _run(self, executable: str) -> None:
        import subprocess  # only here, in a background thread, once per executable

        try:
            done = subprocess.run(
                [executable, "info", "--json"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            data = json.loads(done.stdout) if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, ValueError):
            data = None
        with self._lock:
            self._results[executable] = data if isinstance(data, dict) else None

    def get(self, executable: str, *, wait: bool) -> dict | None:
        with self._lock:
            if executable in self._results:
                return self._results[executable]
            thread = self._threads.get(executable)
            if thread is None:
                thread = threading.Thread(
                    target=self._run, args=(executable,), name="conda-info", daemon=True
                )
                self._threads[executable] = thread
                thread.start()
        if not wait:
            return None
        thread.join()
        with self._lock:
            return self._results.get(executable)


_conda_info = _CondaInfo()


def background_conda_info(executable: str) -> dict | None:
    """The answer if it is there; otherwise start the one lookup and return None."""
    return _conda_info.get(executable, wait=False)


def conda_info(executable: str) -> dict | None:
    """`conda info --json` of `executable` (blocking the first time; keep off event loops)."""
    return _conda_info.get(executable, wait=True)


# -- envs_dirs -------------------------------------------------------------------


def _expandvars(text: str, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip("{}")
        return environ.get(name, match.group(0))

    return _VAR.sub(replace, text)


def _expand(text: str, environ: Mapping[str, str]) -> Path:
    return Path(os.path.abspath(os.path.expanduser(_expandvars(text, environ))))


def _search_path(environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """conda's config files in its SEARCH_PATH order (least important first)."""
    folders: list[str] = []
    if sys.platform == "win32":
        folders.append("C:/ProgramData/conda")
    else:
        folders += ["/etc/conda", "/var/lib/conda"]
    conda_root = environ.get("CONDA_ROOT") or (os.fspath(root) if root is not None else None)
    if conda_root:
        folders.append(conda_root)
    if environ.get("XDG_CONFIG_HOME"):
        folders.append(os.path.join(environ["XDG_CONFIG_HOME"], "conda"))
    home = Path.home()
    entries: list[Path] = []
    for folder in folders:
        entries += [Path(folder) / ".condarc", Path(folder) / "condarc", Path(folder) / "condarc.d"]
    for folder in (home / ".config" / "conda", home / ".conda"):
        entries += [folder / ".condarc", folder / "condarc", folder / "condarc.d"]
    entries.append(home / ".condarc")
    if environ.get("CONDA_PREFIX"):
        active = Path(environ["CONDA_PREFIX"])
        entries += [active / ".condarc", active / "condarc", active / "condarc.d"]
    if environ.get("CONDARC"):
        entries.append(Path(environ["CONDARC"]).expanduser())
    files: list[Path] = []
    for entry in entries:
        if entry.is_file() and (entry.name in _CONDARC_NAMES or entry.suffix in _YAML_SUFFIXES):
            files.append(entry)
        elif entry.is_dir():
            try:
                with os.scandir(entry) as found:
                    names = sorted(e.name for e in found if e.is_file())
            except OSError:
                continue
            files += [entry / n for n in names if Path(n).suffix in _YAML_SUFFIXES]
    return unique_paths(files)


_rc_cache: dict[str, tuple[tuple[int, int], list[str]]] = {}
_rc_lock = threading.Lock()


def condarc_envs_dirs(path: Path) -> list[str]:
    """The raw `envs_dirs` (or `envs_path`) entries of one config file, cached by mtime."""
    try:
        st = path.stat()
    except OSError:
        return []
    stamp = (st.st_mtime_ns, st.st_size)
    key = os.fspath(path)
    with _rc_lock:
        cached = _rc_cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    # Imported here: most machines have no .condarc, and a listing should not pay for
    # the YAML parser there.
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    entries: list[str] = []
    if isinstance(data, dict):
        value = data.get("envs_dirs", data.get("envs_path"))
        if isinstance(value, list):
            entries = [str(v) for v in value if isinstance(v, str | int | float) and str(v)]
    with _rc_lock:
        _rc_cache[key] = (stamp, entries)
    return entries


def configured_envs_dirs(environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """The envs dirs named by configuration, most important first (conda's merge)."""
    sources: list[list[str]] = []
    for name in ("CONDA_ENVS_DIRS", "CONDA_ENVS_PATH"):
        value = environ.get(name)
        if value:
            sources.append([part.strip() for part in value.split(os.pathsep) if part.strip()])
    # Files later on the search path override earlier ones: their entries come first.
    sources += [condarc_envs_dirs(f) for f in reversed(_search_path(environ, root))]
    return unique_paths(_expand(entry, environ) for source in sources for entry in source)


def root_writable(root: Path) -> bool:
    history = root / "conda-meta" / "history"
    if not is_conda_prefix(root):
        # A bare micromamba root (no base env): writable when the folder is.
        return os.access(root, os.W_OK)
    return history.is_file() and os.access(history, os.W_OK)


def envs_dirs(environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """conda's `context.envs_dirs` for this root."""
    user_envs = Path.home() / ".conda" / "envs"
    if root is None:
        fixed = [user_envs]
    elif root_writable(root):
        fixed = [root / "envs", user_envs]
    else:
        fixed = [user_envs, root / "envs"]
    return unique_paths([*configured_envs_dirs(environ, root), *fixed])


def first_writable_envs_dir(dirs: Iterable[Path]) -> Path | None:
    """Where conda puts a new `-n` env: the first dir that exists writable or can be made."""
    for candidate in dirs:
        existing = candidate
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
            return candidate
    return None


def conda_setup(
    environ: Mapping[str, str] | None = None,
    conda_executable: str | None = None,
    *,
    root_prefix: str | os.PathLike[str] | None = None,
) -> CondaSetup:
    """conda's root and envs_dirs; an explicit `root_prefix` replaces the search
    (empty: no root at all)."""
    environ = os.environ if environ is None else environ
    if root_prefix is not None:
        root = Path(root_prefix).expanduser() if os.fspath(root_prefix) else None
        return CondaSetup(root_prefix=root, envs_dirs=envs_dirs(environ, root), other_roots=[])
    candidates = _root_candidates(environ, conda_executable)
    root = candidates[0] if candidates else _root_from_conda_info(environ, conda_executable)
    others = [c for c in candidates[1:] if root is None or path_key(c) != path_key(root)]
    return CondaSetup(root_prefix=root, envs_dirs=envs_dirs(environ, root), other_roots=others)
