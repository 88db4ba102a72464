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
import locale
import os
import re
import stat
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import conda_config
from .models import Environment
from .paths import disk_bytes, file_stats, path_key, unique_paths
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
        data = json.loads(_read_file(f"{os.fspath(prefix)}{_SEP}{ENGINE_MARKER}").decode())
    except (OSError, ValueError):
        return "conda"
    engine = data.get("engine") if isinstance(data, dict) else None
    return engine if isinstance(engine, str) and engine else "conda"


# O_NONBLOCK: a FIFO in a prefix must not hang the listing.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class _NotAFile(OSError):
    pass


def _read_file(path: str, *, regular_only: bool = False) -> bytes:
    """A small file's bytes through `os` calls: a buffered file object costs twice the
    system calls, and this runs for every environment of a listing. OSError as
    `open()` raises it; with `regular_only`, `_NotAFile` for anything but a regular
    file."""
    fd = os.open(path, _READ_FLAGS)
    try:
        if regular_only and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotAFile(path)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


_LIB_VERSION_RE = re.compile(r"python(\d+\.\d+)t?")


def _read_venv_cfg(base: str) -> str | None:
    """The text of `<base>/pyvenv.cfg`: "" when it is a file that cannot be read, None
    when it is no file (the prefix is no venv)."""
    path = f"{base}{_SEP}pyvenv.cfg"
    try:
        data = _read_file(path, regular_only=True)
    except (FileNotFoundError, NotADirectoryError, _NotAFile):
        return None  # no file there, or the prefix is not a folder
    except OSError:
        # As `open()` would have failed: a file we may not read is still a venv.
        return "" if os.path.isfile(path) else None
    # What text mode would decode (the locale's encoding; line ends do not matter to
    # `splitlines`).
    return data.decode(locale.getpreferredencoding(False), "replace")


def _venv_version(text: str) -> str | None:
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in {"version", "version_info"} and value.strip():
            return value.strip()
    return None


def _python_facts(prefix: str, version: str | None) -> tuple[str | None, bool]:
    """(Python version, ipykernel installed): what `site_packages.python_version` and
    `has_ipykernel` answer, from one listing of `lib/` instead of two globs."""
    lib = f"{prefix}{_SEP}lib"
    try:
        with os.scandir(lib) as entries:
            names = sorted(e.name for e in entries if e.name.startswith("python"))
    except OSError:
        names = []
    ipykernel = False
    for name in names:
        if version is None:
            match = _LIB_VERSION_RE.fullmatch(name)
            if match:
                version = match.group(1)
        if not ipykernel:
            ipykernel = os.path.isdir(f"{lib}{_SEP}{name}{_SEP}site-packages{_SEP}ipykernel")
    if not ipykernel:
        # A Windows layout (conda's Lib\site-packages).
        ipykernel = os.path.isdir(f"{prefix}{_SEP}Lib{_SEP}site-packages{_SEP}ipykernel")
    return version, ipykernel


def _last_change(
    prefix: str, conda_meta: os.stat_result | None, version: str | None
) -> float | None:
    """When the packages last changed: conda writes one conda-meta/*.json per
    package, pip and uv add folders to site-packages. One stat (none for conda: the
    stat that told conda-meta/ is a folder has its mtime)."""
    if conda_meta is not None:
        return conda_meta.st_mtime
    if version:
        short = ".".join(version.split(".")[:2])
        try:
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


_Facts = tuple[str, str, "str | None", bool, "float | None"]


def _facts(base: str) -> _Facts | None:
    """(kind, engine, Python version, ipykernel installed, last change) of the prefix
    at `base`, or None when it is no environment."""
    # Asking for conda-meta/ and pyvenv.cfg by name costs fewer system calls than
    # listing the prefix, whatever it holds (listing 1,000 environments is bounded by
    # these calls).
    try:
        conda_meta: os.stat_result | None = os.stat(f"{base}{_SEP}conda-meta")
    except OSError:
        conda_meta = None
    if conda_meta is not None and stat.S_ISDIR(conda_meta.st_mode):
        cfg = None
    else:
        conda_meta = None
        cfg = _read_venv_cfg(base)
        if cfg is None:
            return None
    # A prefix that cannot be listed is no environment (as when this listed it).
    if not os.access(base, os.R_OK):
        return None
    if cfg is None:
        kind, engine = "conda", _engine_of(base)
        version, ipykernel = _python_facts(base, None)
    else:
        kind, engine = "venv", "uv"
        version, ipykernel = _python_facts(base, _venv_version(cfg))
    return kind, engine, version, ipykernel, _last_change(base, conda_meta, version)


def _environment(
    facts: _Facts, prefix: Path, name: str | None, is_base: bool, with_sizes: bool
) -> Environment:
    kind, engine, version, ipykernel, modified = facts
    return Environment(
        modified=modified,
        # conda names envs outside any envs dir by their full path.
        name=name if name is not None else os.fspath(prefix),
        prefix=prefix,
        kind=kind,
        engine=engine,
        python_version=version,
        has_ipykernel=ipykernel,
        size_bytes=prefix_size(prefix) if with_sizes else None,
        is_base=is_base,
    )


def _describe(
    prefix: Path, name: str | None, is_base: bool, with_sizes: bool
) -> Environment | None:
    facts = _facts(os.fspath(prefix))
    return None if facts is None else _environment(facts, prefix, name, is_base, with_sizes)


def list_environments(locations: Locations, *, with_sizes: bool = False) -> list[Environment]:
    """Every environment found, base first, then by name. Missing prefixes are skipped."""
    # `_candidates`' order, with the children of a folder keyed from the folder's key
    # (a string join instead of an abspath per child) and made Paths only when found.
    found: dict[str, Environment] = {}

    def consider(key: str, prefix: Path, name: str | None, is_base: bool) -> None:
        if key not in found:
            env = _describe(prefix, name, is_base, with_sizes)
            if env is not None:
                found[key] = env

    if locations.root_prefix is not None:
        root = locations.root_prefix
        consider(path_key(root), root, conda_config.ROOT_ENV_NAME, True)
    for envs_dir in [*locations.conda_envs_dirs, locations.venvs_dir]:
        names = _child_names(envs_dir)
        if not names:
            continue
        folder = os.fspath(envs_dir)
        dir_key = path_key(envs_dir).rstrip(_SEP)
        for name in names:
            key = f"{dir_key}{_SEP}{os.path.normcase(name)}"
            if key in found:
                continue
            facts = _facts(os.path.join(folder, name))
            if facts is not None:
                found[key] = _environment(facts, envs_dir / name, name, False, with_sizes)
    for prefix in read_environments_txt(locations.environments_txt):
        consider(path_key(prefix), prefix, None, False)
    for prefix in locations.extra_prefixes:
        consider(path_key(prefix), prefix, None, False)
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
    for info in file_stats(prefix):
        # conda hard-links files from its package cache; count each inode once.
        if info.st_nlink > 1:
            ident = (info.st_dev, info.st_ino)
            if ident in seen:
                continue
            seen.add(ident)
        total += disk_bytes(info)
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
