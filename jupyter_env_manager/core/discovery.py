"""Find every environment on the machine by reading the file system, never by a subprocess.

`conda info --json` takes seconds (over a minute on large installs); reading a few
directories and files takes milliseconds. The result is the set `conda env list`
shows, with conda's names (`conda_config` finds the root and envs_dirs as conda does):

- the root prefix, named `base` (`-n root` finds it too, as in conda);
- every child of each conda envs dir, named by its folder name;
- the prefixes in `~/.conda/environments.txt`, where conda records every env it made,
  including `--prefix` ones outside any envs dir: those are named by their full path;
- the managed venv directory, named by folder (conda does not see venvs).

conda run as root also reads the environments.txt of every home in /etc/passwd; this
reads only the current user's (a server shows its own user's environments).

A prefix is a conda env when it has `conda-meta/`, a venv when it has `pyvenv.cfg`.

Engine marker: a prefix made by this extension may hold
`<prefix>/.jupyter-env-manager.json` = `{"engine": "<engine name>"}` (the manager
writes it, e.g. `"rattler"`); `Environment.engine` is that value, else `"conda"` for
conda prefixes and `"uv"` for venvs. Use `write_engine_marker`. It lives outside
`conda-meta/` because conda and rattler parse every `conda-meta/*.json` as a
package record.

Sizes: walking a prefix costs ~10-100 ms per env, so sizes are opt-in
(`with_sizes=True`) and cached per prefix, keyed by the mtimes of the prefix,
`conda-meta/` and the site-packages folders: installing or removing a package
changes one of them, so a stale size is recomputed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import conda_config
from .models import Environment
from .paths import file_stats, path_key, unique_paths
from .site_packages import package_set_stamp

ENGINE_MARKER = ".jupyter-env-manager.json"
DEFAULT_VENVS_DIR = Path("~/.local/share/jupyter-env-manager/venvs")


def _user_conda_dir() -> Path:
    return Path.home() / ".conda"


@dataclass
class Locations:
    """Where to look. `default()` reads the environment; tests build one by hand."""

    conda_envs_dirs: list[Path]
    environments_txt: Path
    venvs_dir: Path
    root_prefix: Path | None = None
    extra_prefixes: list[Path] = field(default_factory=list)

    @classmethod
    def default(
        cls,
        *,
        venvs_dir: Path | None = None,
        environ: Mapping[str, str] | None = None,
        conda_executable: str | None = None,
        root_prefix: str | os.PathLike[str] | None = None,
    ) -> Locations:
        """conda's own view (see `conda_config`): its root, its envs_dirs in its order.
        `root_prefix` replaces the root search (empty string: no root)."""
        setup = conda_config.conda_setup(
            os.environ if environ is None else environ,
            conda_executable or None,
            root_prefix=root_prefix,
        )
        root = setup.root_prefix
        envs_dirs = list(setup.envs_dirs)
        extra: list[Path] = []
        for other in setup.other_roots:
            envs_dirs.append(other / "envs")
            if _is_conda_prefix(other):
                extra.append(other)
        return cls(
            conda_envs_dirs=unique_paths(envs_dirs),
            environments_txt=_user_conda_dir() / "environments.txt",
            venvs_dir=(venvs_dir or DEFAULT_VENVS_DIR).expanduser(),
            root_prefix=root if root is not None and _is_conda_prefix(root) else None,
            extra_prefixes=extra,
        )

    def new_env_dir(self) -> Path | None:
        """Where a new named conda env goes: conda's first writable envs dir."""
        return conda_config.first_writable_envs_dir(self.conda_envs_dirs)


# String joins, not os.path.join or pathlib: these run several times per environment.
_SEP = os.sep


def _is_conda_prefix(path: Path | str) -> bool:
    return os.path.isdir(f"{os.fspath(path)}{_SEP}conda-meta")


def _is_venv(path: Path | str) -> bool:
    return os.path.isfile(f"{os.fspath(path)}{_SEP}pyvenv.cfg")


def _engine_of(prefix: Path | str) -> str:
    try:
        with open(f"{os.fspath(prefix)}{_SEP}{ENGINE_MARKER}", encoding="utf-8") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return "conda"
    engine = data.get("engine") if isinstance(data, dict) else None
    return engine if isinstance(engine, str) and engine else "conda"


_LIB_VERSION_RE = re.compile(r"python(\d+\.\d+)t?")
# Where "Lib" and "lib" name one folder, a listing's exact spelling proves nothing.
_FOLDS_CASE = sys.platform in ("win32", "darwin")


def _venv_version(prefix: str) -> str | None:
    try:
        with open(f"{prefix}{_SEP}pyvenv.cfg", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in {"version", "version_info"} and value.strip():
            return value.strip()
    return None


def _python_facts(
    prefix: str, top: dict[str, os.DirEntry[str]], venv: bool
) -> tuple[str | None, bool]:
    """(Python version, ipykernel installed): what `site_packages.python_version` and
    `has_ipykernel` answer, from the prefix's listing `top` and one listing of `lib/`
    instead of two globs."""
    version = _venv_version(prefix) if venv else None
    lib = f"{prefix}{_SEP}lib"
    names: list[str] = []
    if "lib" in top or _FOLDS_CASE:
        try:
            with os.scandir(lib) as entries:
                names = sorted(e.name for e in entries if e.name.startswith("python"))
        except OSError:
            pass
    ipykernel = False
    for name in names:
        if version is None:
            match = _LIB_VERSION_RE.fullmatch(name)
            if match:
                version = match.group(1)
        if not ipykernel:
            ipykernel = os.path.isdir(f"{lib}{_SEP}{name}{_SEP}site-packages{_SEP}ipykernel")
    if not ipykernel and ("Lib" in top or _FOLDS_CASE):
        # A Windows layout (conda's Lib\site-packages).
        ipykernel = os.path.isdir(f"{prefix}{_SEP}Lib{_SEP}site-packages{_SEP}ipykernel")
    return version, ipykernel


def _last_change(
    prefix: str, conda_meta: os.DirEntry[str] | None, version: str | None, venv: bool
) -> float | None:
    """When the packages last changed: conda writes one conda-meta/*.json per
    package, pip and uv add folders to site-packages. One stat."""
    try:
        if not venv and conda_meta is not None:
            return conda_meta.stat().st_mtime
        if version:
            short = ".".join(version.split(".")[:2])
            return os.stat(f"{prefix}{_SEP}lib{_SEP}python{short}{_SEP}site-packages").st_mtime
    except OSError:
        pass
    return None


def write_engine_marker(prefix: Path, engine: str) -> None:
    """Record which engine made a conda prefix (read back as `Environment.engine`)."""
    _atomic_write(prefix / ENGINE_MARKER, json.dumps({"engine": engine}) + "\n")


def read_environments_txt(path: Path) -> list[Path]:
    """The prefixes listed in environments.txt, in order, without duplicates."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return unique_paths(Path(line.strip()) for line in text.splitlines() if line.strip())


def _candidates(locations: Locations) -> Iterator[tuple[Path, str | None, bool]]:
    """(prefix, name or None, is_base) in the order names should win."""
    if locations.root_prefix is not None:
        yield locations.root_prefix, conda_config.ROOT_ENV_NAME, True
    for envs_dir in [*locations.conda_envs_dirs, locations.venvs_dir]:
        for name in _child_names(envs_dir):
            yield envs_dir / name, name, False
    for prefix in read_environments_txt(locations.environments_txt):
        yield prefix, None, False
    for prefix in locations.extra_prefixes:
        yield prefix, None, False


def _child_names(directory: Path) -> list[str]:
    """Sorted names of a folder's entries, hidden ones left out (what sorting
    `iterdir()` gives, without a Path per comparison)."""
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries if not e.name.startswith("."))
    except OSError:
        return []


def _describe(
    prefix: Path, name: str | None, is_base: bool, with_sizes: bool
) -> Environment | None:
    base = os.fspath(prefix)
    # One listing of the prefix answers "conda-meta/? pyvenv.cfg? marker? lib/?"
    # (listing 1,000 environments is bounded by these system calls).
    try:
        with os.scandir(base) as entries:
            top = {entry.name: entry for entry in entries}
    except OSError:
        return None
    conda_meta = top.get("conda-meta")
    venv_cfg = top.get("pyvenv.cfg")
    if conda_meta is not None and conda_meta.is_dir():
        kind, venv = "conda", False
        engine = _engine_of(base) if ENGINE_MARKER in top else "conda"
    elif venv_cfg is not None and venv_cfg.is_file():
        kind, engine, venv = "venv", "uv", True
    else:
        return None
    version, ipykernel = _python_facts(base, top, venv)
    return Environment(
        modified=_last_change(base, conda_meta, version, venv),
        # conda names envs outside any envs dir by their full path.
        name=name if name is not None else base,
        prefix=prefix,
        kind=kind,
        engine=engine,
        python_version=version,
        has_ipykernel=ipykernel,
        size_bytes=prefix_size(prefix) if with_sizes else None,
        is_base=is_base,
    )


def list_environments(locations: Locations, *, with_sizes: bool = False) -> list[Environment]:
    """Every environment found, base first, then by name. Missing prefixes are skipped."""
    found: dict[str, Environment] = {}
    for prefix, name, is_base in _candidates(locations):
        key = path_key(prefix)
        if key in found:
            continue
        env = _describe(prefix, name, is_base, with_sizes)
        if env is not None:
            found[key] = env
    return sorted(found.values(), key=lambda e: (not e.is_base, e.name.lower()))


def find_environment(
    locations: Locations, name_or_prefix: str | os.PathLike[str]
) -> Environment | None:
    """The environment with that name (conda's lookup order), or at that absolute
    prefix, or None."""
    text = os.fspath(name_or_prefix)
    if os.path.isabs(text):
        wanted = path_key(Path(text))
        for prefix, name, is_base in _candidates(locations):
            if path_key(prefix) == wanted:
                return _describe(prefix, name, is_base, False)
        # An env not (yet) registered anywhere is still found by its path.
        return _describe(Path(text), None, False, False)
    if text in conda_config.RESERVED_ENV_NAMES and locations.root_prefix is not None:
        return _describe(locations.root_prefix, conda_config.ROOT_ENV_NAME, True, False)
    # Like conda's locate_prefix_by_name: the first envs dir holding `name` wins.
    for prefix, name, is_base in _candidates(locations):
        if name == text:
            env = _describe(prefix, name, is_base, False)
            if env is not None:
                return env
    return None


# -- sizes ---------------------------------------------------------------------

_size_cache: dict[str, tuple[tuple[int | None, ...], int]] = {}
_size_lock = threading.Lock()


def _walk_size(prefix: Path) -> int:
    total = 0
    seen: set[tuple[int, int]] = set()
    for stat in file_stats(prefix):
        # conda hard-links files from its package cache; count each inode once.
        if stat.st_nlink > 1:
            ident = (stat.st_dev, stat.st_ino)
            if ident in seen:
                continue
            seen.add(ident)
        total += stat.st_size
    return total


def prefix_size(prefix: Path) -> int:
    """Bytes used by a prefix, cached until a package is added or removed."""
    key = path_key(prefix)
    stamp = package_set_stamp(prefix)
    with _size_lock:
        cached = _size_cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    size = _walk_size(prefix)
    with _size_lock:
        _size_cache[key] = (stamp, size)
    return size


# -- environments.txt ----------------------------------------------------------


def _atomic_write(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_registry_lock = threading.Lock()


def _environments_txt(path: Path | None) -> Path:
    return path if path is not None else _user_conda_dir() / "environments.txt"


def register_conda_env(prefix: Path, environments_txt: Path | None = None) -> bool:
    """Add `prefix` to environments.txt as conda does; False when it was already there."""
    target = _environments_txt(environments_txt)
    line = os.path.abspath(os.fspath(prefix))
    with _registry_lock:
        try:
            existing = target.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            existing = []
        if any(path_key(item.strip()) == path_key(line) for item in existing if item.strip()):
            return False
        kept = [item for item in existing if item.strip()]
        _atomic_write(target, "\n".join([*kept, line]) + "\n")
    return True


def unregister_conda_env(prefix: Path, environments_txt: Path | None = None) -> bool:
    """Remove every line naming `prefix` from environments.txt; False when none did."""
    target = _environments_txt(environments_txt)
    wanted = path_key(prefix)
    with _registry_lock:
        try:
            existing = target.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return False
        kept = [
            item for item in existing if item.strip() and path_key(Path(item.strip())) != wanted
        ]
        if len(kept) == len([item for item in existing if item.strip()]):
            return False
        _atomic_write(target, "".join(f"{item}\n" for item in kept))
    return True
