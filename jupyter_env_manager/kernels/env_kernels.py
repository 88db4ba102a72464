"""The kernels inside environments: read their specs and make them run in their env.

Every `<prefix>/share/jupyter/kernels/<dir>/kernel.json` of an environment is a
kernel (Python via ipykernel, but also R, Julia...). Its spec is kept as written
except:

- `argv[0]` given as a bare command (`python`, `R`) becomes the env's own
  executable when the env has it (ipykernel's wheel writes plain `python`, which
  would otherwise run whatever `python` the server finds first); `{prefix}` in any
  argument becomes the env prefix;
- `display_name` comes from the name format (`Python [conda env:base]` for conda
  envs, as nb_conda_kernels shows them; `Python 3.12 [env: web]` for venvs);
- `metadata.jupyter_env_manager` records the env (name, prefix, kind, engine,
  kernel directory), conda envs also get nb_conda_kernels' `conda_*` metadata keys
  (env name and path, language, raw kernel name, base, currently running), and
  `metadata.kernel_provisioner` names our provisioner, which
  applies the env's activation when the kernel starts. A spec that already names a
  provisioner of its own keeps it.

Specs carrying our registration marker are skipped: they are copies we wrote
(see `registration`), and listing them would show the same kernel twice.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.models import Environment
from ..core.paths import path_key
from . import naming

PROVISIONER_NAME = "jupyter-env-manager"
METADATA_KEY = "jupyter_env_manager"
KERNELS_SUBDIR = Path("share", "jupyter", "kernels")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnvKernel:
    """One kernel of one environment, with the spec the server hands out."""

    name: str
    env: Environment
    kernel_dir: Path
    spec: dict[str, Any] = field(hash=False, compare=False)

    @property
    def resource_dir(self) -> str:
        return str(self.kernel_dir)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "display_name": self.spec.get("display_name", self.name),
            "language": self.spec.get("language", ""),
            "environment": self.env.name,
            "prefix": str(self.env.prefix),
            "kind": self.env.kind,
            "resource_dir": self.resource_dir,
        }


def kernels_dir(prefix: Path) -> Path:
    return prefix / KERNELS_SUBDIR


def env_executable(prefix: Path, command: str, kind: str = "conda") -> Path | None:
    """`command` inside the env (bin/ on POSIX; the usual conda/venv dirs on Windows)."""
    if sys.platform == "win32":
        dirs = [prefix / "Scripts", prefix, prefix / "Library" / "bin"]
        names = [command, f"{command}.exe", f"{command}.bat", f"{command}.cmd"]
        if kind == "venv":
            dirs = [prefix / "Scripts"]
    else:
        dirs = [prefix / "bin"]
        names = [command]
    for directory in dirs:
        for name in names:
            candidate = directory / name
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def interpreter(env: Environment) -> Path:
    """The env's Python (whether or not it exists yet)."""
    found = env_executable(env.prefix, "python", env.kind)
    if found is not None:
        return found
    if sys.platform == "win32":
        return env.prefix / ("Scripts" if env.kind == "venv" else "") / "python.exe"
    return env.prefix / "bin" / "python"


def rewrite_argv(argv: list[str], env: Environment) -> list[str]:
    """Make the kernel command run the env's executables."""
    prefix = str(env.prefix)
    args = [arg.replace("{prefix}", prefix) for arg in argv]
    if not args:
        return args
    first = args[0]
    if os.sep not in first and "/" not in first:
        found = env_executable(env.prefix, first, env.kind)
        if found is not None:
            args[0] = str(found)
        elif first.lower().startswith("python"):
            args[0] = str(interpreter(env))
    return args


def read_kernel_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        log.warning("Skipping unreadable kernel spec %s: %s", path, error)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("argv"), list) or not data["argv"]:
        log.warning("Skipping kernel spec without an argv list: %s", path)
        return None
    return data


def spec_files(prefix: Path) -> list[Path]:
    """The kernel.json files of an env, sorted (a missing kernels dir gives none)."""
    try:
        entries = sorted(os.scandir(kernels_dir(prefix)), key=lambda e: e.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        candidate = Path(entry.path) / "kernel.json"
        if entry.is_dir() and candidate.is_file():
            found.append(candidate)
    return found


def is_registered_copy(spec: dict[str, Any]) -> bool:
    marker = (spec.get("metadata") or {}).get(METADATA_KEY)
    return isinstance(marker, dict) and bool(marker.get("registered"))


def _is_current(prefix: Path) -> bool:
    try:
        return os.path.samefile(prefix, sys.prefix)
    except OSError:
        return False


def build_spec(
    raw: dict[str, Any],
    env: Environment,
    kernel_dir: Path,
    *,
    kernel_name: str,
    env_label: str,
    name_format: str,
    provisioner: bool,
) -> dict[str, Any]:
    spec = dict(raw)
    spec["argv"] = rewrite_argv([str(a) for a in raw["argv"]], env)
    own_display = str(raw.get("display_name") or "")
    language = str(raw.get("language") or "")
    nb_language = naming.nb_language(own_display or language or kernel_dir.name)
    current = _is_current(env.prefix)
    label = naming.display_name(
        name_format,
        language=nb_language,
        environment=env_label,
        kernel=kernel_dir.name,
        display_name=own_display,
        conda_kernel=kernel_name,
        language_version=naming.language_version(own_display, language, env.python_version),
        python_version=env.python_version or "",
        kind=env.kind,
        prefix=str(env.prefix),
    )
    if env.kind == "conda" and current:
        label += naming.CURRENT_ENV_MARK
    spec["display_name"] = label
    metadata = dict(raw.get("metadata") or {})
    if env.kind == "conda":
        # The keys nb_conda_kernels adds, for tools that read them.
        metadata.update(
            {
                "conda_env_name": env_label,
                "conda_env_path": str(env.prefix),
                "conda_language": nb_language,
                "conda_raw_kernel_name": kernel_dir.name,
                "conda_is_base_environment": naming.is_base_name(env_label),
                "conda_is_currently_running": current,
            }
        )
    metadata[METADATA_KEY] = {
        "env_name": env.name,
        "env_prefix": str(env.prefix),
        "env_kind": env.kind,
        "env_engine": env.engine,
        "kernel_dir": kernel_dir.name,
    }
    own = metadata.get("kernel_provisioner")
    own_name = own.get("provisioner_name") if isinstance(own, dict) else None
    if provisioner and own_name in (None, "local-provisioner", PROVISIONER_NAME):
        metadata["kernel_provisioner"] = {
            "provisioner_name": PROVISIONER_NAME,
            "config": {
                "env_prefix": str(env.prefix),
                "env_kind": env.kind,
                "env_name": env.name,
            },
        }
    spec["metadata"] = metadata
    spec.setdefault("env", {})
    return spec


#: Kernel file path -> (what the spec was built from, the kernel); see build_env_kernels.
KernelCache = dict[str, tuple[tuple[object, ...], "EnvKernel"]]


def _file_stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ino, st.st_size


_KERNELS_SUBDIR = os.sep + os.fspath(KERNELS_SUBDIR)
_EXE_SUBDIR = os.sep + ("Scripts" if sys.platform == "win32" else "bin")


def _stamped_spec_files(prefix: Path | str) -> list[tuple[str, str, tuple[object, ...]]]:
    """(kernel.json path, kernel folder name, stats of both) for every kernel file of
    an env, sorted as `spec_files` sorts them; strings, not Paths, since this runs for
    every kernel on every rescan."""
    folder = os.fspath(prefix) + _KERNELS_SUBDIR
    try:
        with os.scandir(folder) as entries:
            dirs = sorted((e for e in entries if e.is_dir()), key=lambda e: e.name)
    except OSError:
        return []
    found = []
    for entry in dirs:
        path = entry.path + os.sep + "kernel.json"
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        stamp = ((st.st_mtime_ns, st.st_ino, st.st_size), _file_stamp(entry.path))
        found.append((path, entry.name, stamp))
    return found


def build_env_kernels(
    envs: Iterable[Environment],
    *,
    root_prefix: Path | None,
    default_envs_dir: Path | None,
    name_format: str = naming.DEFAULT_NAME_FORMAT,
    provisioner: bool = True,
    cache: KernelCache | None = None,
    file_stamps: list[tuple[str, object]] | None = None,
) -> list[EnvKernel]:
    """Every kernel of every env in `envs`, named as `naming` describes.

    The default `name_format` is nb_conda_kernels' and applies to conda envs; venvs
    then get `naming.VENV_NAME_FORMAT`. Any other format applies to both.

    With a `cache` (kept by the caller between calls), a kernel whose file, folder,
    environment, name and the env's `bin/` are unchanged is reused instead of read
    and rebuilt: after one env changes, the others cost a few `stat`s each.

    `file_stamps`, when given, gets (path, stat stamp) of each returned kernel's
    kernel.json and folder, as stat'ed before the file was read: what a caller
    compares to notice a kernel changed since, without stat'ing them again.
    """
    env_list = list(envs)
    keys = [path_key(e.prefix) for e in env_list]
    conda_envs: dict[str, Path] = {}
    venv_envs: dict[str, Path] = {}
    for env, key in zip(env_list, keys, strict=True):
        (conda_envs if env.kind == "conda" else venv_envs).setdefault(key, env.prefix)
    conda_names = naming.conda_short_names_by_key(
        conda_envs,
        root_prefix=root_prefix if root_prefix is not None else _base_prefix(env_list),
        default_envs_dir=default_envs_dir,
    )
    venv_names = naming.venv_short_names_by_key(venv_envs)
    venv_format = (
        naming.VENV_NAME_FORMAT if name_format == naming.DEFAULT_NAME_FORMAT else name_format
    )
    kernels: list[EnvKernel] = []
    taken: set[str] = set()
    used: KernelCache = {}
    for env, key in zip(env_list, keys, strict=True):
        short = (conda_names if env.kind == "conda" else venv_names).get(key)
        if short is None:
            continue  # e.g. a conda-bld prefix
        base = os.fspath(env.prefix)
        # The executables argv[0] resolves to live in bin/ (Scripts/ on Windows).
        exe_dir = _file_stamp(base + _EXE_SUBDIR)
        env_format = name_format if env.kind == "conda" else venv_format
        for path, dir_name, file_stamp in _stamped_spec_files(base):
            if env.kind == "conda":
                name = naming.conda_kernel_name(short, dir_name)
            else:
                name = naming.venv_kernel_name(short, dir_name)
            if name.lower() in taken:
                # Two kernel dirs mapping to one name (`python3` and `python2`): first wins.
                log.warning("Kernel %s of %s hides another of the same name", name, env.prefix)
                continue
            built_from = (file_stamp, exe_dir, env, name, short, env_format, provisioner)
            hit = cache.get(path) if cache is not None else None
            if hit is not None and hit[0] == built_from:
                kernel = hit[1]
            else:
                kernel_dir = Path(path).parent
                raw = read_kernel_json(kernel_dir / "kernel.json")
                if raw is None or is_registered_copy(raw):
                    continue
                spec = build_spec(
                    raw,
                    env,
                    kernel_dir,
                    kernel_name=name,
                    env_label=short,
                    name_format=env_format,
                    provisioner=provisioner,
                )
                kernel = EnvKernel(name=name, env=env, kernel_dir=kernel_dir, spec=spec)
            taken.add(name.lower())
            used[path] = (built_from, kernel)
            kernels.append(kernel)
            if file_stamps is not None:
                json_stamp, folder_stamp = file_stamp
                file_stamps.append((path, json_stamp))
                file_stamps.append((path[: -len(os.sep + "kernel.json")], folder_stamp))
    if cache is not None:
        # Only what this scan saw: removed envs do not linger.
        cache.clear()
        cache.update(used)
    return kernels


def _base_prefix(envs: list[Environment]) -> Path | None:
    return next((e.prefix for e in envs if e.is_base), None)
