"""The environment variables activating an environment sets, without a shell session.

A kernel started by path alone misses what `conda activate` does: tools on PATH
(`!pip`, compilers, R's helpers), `CONDA_PREFIX` that libraries read to find data,
and whatever the env's packages put in `etc/conda/activate.d/` (GDAL_DATA,
JAVA_HOME, CUDA paths...). This module computes that as a set of changes to apply
to an environment block.

conda prefixes (what conda 23+ does on `conda activate <env>`, non-stacked):
- PATH gets the env's dirs in front (`bin` on POSIX; on Windows the prefix,
  `Library/mingw-w64/bin`, `Library/usr/bin`, `Library/bin`, `Scripts`, `bin`),
  after removing those of the env active before;
- CONDA_PREFIX, CONDA_DEFAULT_ENV (name, `base`, or the path for unnamed envs),
  CONDA_SHLVL (+1), CONDA_PREFIX_<n> for the env it replaces, CONDA_PROMPT_MODIFIER;
- the variables saved by `conda env config vars set` (`conda-meta/state`);
- the effects of `etc/conda/activate.d/*.sh`, sourced in bash with the already
  activated environment; we take the difference of `env -0` before and after.
  The script paths are positional arguments of a fixed script text, never
  spliced into a command line, and the run is time-limited.
- VIRTUAL_ENV of the server's own venv is dropped (with its bin dir on PATH), or
  `uv pip install` in the kernel would install into the server's venv.

venvs: PATH gets `bin` (`Scripts`) in front, VIRTUAL_ENV and VIRTUAL_ENV_PROMPT
are set, PYTHONHOME is unset (what `bin/activate` does).

Results are cached per prefix, keyed by the base environment and the mtimes of
the activate.d folder, its scripts and `conda-meta/state`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.env_vars import saved_env_vars

log = logging.getLogger(__name__)

DEFAULT_SCRIPT_TIMEOUT = 10.0
# Sourcing scripts in a fixed text; the script paths arrive as "$@".
_SOURCE_SCRIPTS = 'set +e; for f in "$@"; do . "$f"; done; env -0'
# Variables bash itself sets or changes in every run, never an effect of a script.
_SHELL_NOISE = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})
_CACHE_LIMIT = 256
# Stands for "the PATH the kernel is launched with" while building a static env block.
_PATH_MARKER = os.path.join(os.sep, "jupyter-env-manager-inherited-path")


@dataclass(frozen=True)
class Activation:
    """Changes to an environment block: variables to set, then variables to remove."""

    set: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def apply(self, environ: Mapping[str, str]) -> dict[str, str]:
        result = dict(environ)
        for name in self.unset:
            result.pop(name, None)
        result.update(self.set)
        return result


def path_dirs(prefix: Path, kind: str) -> list[str]:
    """The directories activation puts in front of PATH."""
    if sys.platform == "win32":
        if kind == "venv":
            return [str(prefix / "Scripts")]
        return [
            str(prefix),
            str(prefix / "Library" / "mingw-w64" / "bin"),
            str(prefix / "Library" / "usr" / "bin"),
            str(prefix / "Library" / "bin"),
            str(prefix / "Scripts"),
            str(prefix / "bin"),
        ]
    return [str(prefix / "bin")]


def _same(a: str, b: str) -> bool:
    return os.path.normcase(os.path.normpath(a)) == os.path.normcase(os.path.normpath(b))


def _new_path(old_path: str, add: list[str], remove: list[str]) -> str:
    kept = [
        entry
        for entry in old_path.split(os.pathsep)
        if entry and not any(_same(entry, r) for r in [*remove, *add])
    ]
    return os.pathsep.join([*add, *kept])


def activate_scripts(prefix: Path) -> list[Path]:
    folder = prefix / "etc" / "conda" / "activate.d"
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".sh" and p.is_file())
    except OSError:
        return []


def _parse_env0(output: bytes) -> dict[str, str]:
    result = {}
    for item in output.split(b"\0"):
        if not item:
            continue
        name, sep, value = item.decode("utf-8", errors="surrogateescape").partition("=")
        if sep:
            result[name] = value
    return result


def run_activate_scripts(
    scripts: list[Path],
    environ: Mapping[str, str],
    *,
    cwd: Path,
    timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> tuple[dict[str, str], list[str], str | None]:
    """Source `scripts` in bash with `environ`; return (changed vars, removed vars, warning)."""
    bash = shutil.which("bash", path=environ.get("PATH")) or shutil.which("bash")
    if bash is None:
        return {}, [], "bash was not found, so the env's activate.d scripts were not run"
    try:
        process = subprocess.Popen(
            [bash, "--noprofile", "--norc", "-c", _SOURCE_SCRIPTS, "bash", *map(str, scripts)],
            env=dict(environ),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Own process group: on timeout, whatever the scripts started dies too.
            start_new_session=sys.platform != "win32",
        )
    except OSError as error:
        return {}, [], f"could not run the env's activate.d scripts: {error}"
    try:
        stdout, stderr_bytes = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return {}, [], f"the env's activate.d scripts took longer than {timeout:g} s; skipped"
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr_bytes)
    after = _parse_env0(done.stdout)
    if not after:
        stderr = done.stderr.decode(errors="replace").strip()[-500:]
        return {}, [], f"the env's activate.d scripts failed (exit {done.returncode}): {stderr}"
    changed = {k: v for k, v in after.items() if k not in _SHELL_NOISE and environ.get(k) != v}
    removed = [k for k in environ if k not in after and k not in _SHELL_NOISE]
    return changed, removed, None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.communicate()


def _conda_base_changes(
    prefix: Path, name: str, environ: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    try:
        old_level = int(environ.get("CONDA_SHLVL") or 0)
    except ValueError:
        old_level = 0
    old_prefix = environ.get("CONDA_PREFIX") or ""
    reactivating = bool(old_prefix) and _same(old_prefix, str(prefix))
    remove: list[str] = []
    if old_prefix and not reactivating:
        remove += path_dirs(Path(old_prefix), "conda")
    unset = ["VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONHOME"]
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env:
        remove += path_dirs(Path(virtual_env), "venv")
    changes = {
        "PATH": _new_path(environ.get("PATH", ""), path_dirs(prefix, "conda"), remove),
        "CONDA_PREFIX": str(prefix),
        "CONDA_DEFAULT_ENV": name,
        "CONDA_PROMPT_MODIFIER": f"({name}) ",
        "CONDA_SHLVL": str(old_level if reactivating else old_level + 1),
    }
    if old_prefix and old_level > 0 and not reactivating:
        changes[f"CONDA_PREFIX_{old_level}"] = old_prefix
    changes.update(saved_env_vars(prefix))
    return changes, [u for u in unset if u not in changes]


def _venv_changes(
    prefix: Path, name: str, environ: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    remove = []
    old = environ.get("VIRTUAL_ENV")
    if old and not _same(old, str(prefix)):
        remove = path_dirs(Path(old), "venv")
    changes = {
        "PATH": _new_path(environ.get("PATH", ""), path_dirs(prefix, "venv"), remove),
        "VIRTUAL_ENV": str(prefix),
        "VIRTUAL_ENV_PROMPT": name,
    }
    return changes, ["PYTHONHOME"]


def compute_activation(
    prefix: Path,
    *,
    kind: str,
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    script_timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> Activation:
    """What activating `prefix` changes in `environ` (default: this process's environment).

    `name` is the env's name (`base`, `myenv`, or the prefix for unnamed envs); it
    defaults to the prefix. Never raises for a broken activate.d script: the
    problem is reported in `warnings` and the rest of the activation still applies.
    """
    base = dict(os.environ if environ is None else environ)
    label = name or str(prefix)
    if kind == "venv":
        changes, unset = _venv_changes(prefix, Path(label).name, base)
        return Activation(set=changes, unset=tuple(unset))
    changes, unset = _conda_base_changes(prefix, label, base)
    warnings: list[str] = []
    scripts = activate_scripts(prefix)
    if scripts:
        activated = {k: v for k, v in base.items() if k not in unset}
        activated.update(changes)
        cwd = prefix if prefix.is_dir() else Path.cwd()
        script_set, script_unset, warning = run_activate_scripts(
            scripts, activated, cwd=cwd, timeout=script_timeout
        )
        if warning:
            log.warning("Activating %s: %s", prefix, warning)
            warnings.append(warning)
        for key in script_unset:
            changes.pop(key, None)
        changes.update(script_set)
        unset = sorted({*unset, *script_unset} - set(changes))
    return Activation(set=changes, unset=tuple(unset), warnings=tuple(warnings))


# -- cache -------------------------------------------------------------------------

_cache: dict[tuple[str, ...], tuple[tuple[object, ...], Activation]] = {}
_cache_lock = threading.Lock()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _stamp(prefix: Path) -> tuple[object, ...]:
    folder = prefix / "etc" / "conda" / "activate.d"
    scripts = activate_scripts(prefix)
    return (
        _mtime(folder),
        _mtime(prefix / "conda-meta" / "state"),
        tuple((str(s), _mtime(s)) for s in scripts),
    )


def _environ_digest(environ: Mapping[str, str]) -> str:
    digest = hashlib.sha1()
    for key in sorted(environ):
        digest.update(key.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(environ[key].encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def activation_for(
    prefix: Path,
    *,
    kind: str,
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    script_timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> Activation:
    """`compute_activation`, cached until the env's activation inputs change."""
    base = dict(os.environ if environ is None else environ)
    key = (
        os.path.normcase(os.path.abspath(prefix)),
        kind,
        name or "",
        _environ_digest(base),
    )
    stamp = _stamp(prefix)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    result = compute_activation(
        prefix, kind=kind, name=name, environ=base, script_timeout=script_timeout
    )
    if not result.warnings:  # a failed script may succeed next time; do not pin it
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[key] = (stamp, result)
    return result


async def activation_for_async(
    prefix: Path,
    *,
    kind: str,
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    script_timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> Activation:
    """`activation_for` off the event loop (the scripts may take a moment)."""
    return await asyncio.to_thread(
        activation_for,
        prefix,
        kind=kind,
        name=name,
        environ=environ,
        script_timeout=script_timeout,
    )


def static_env_block(
    prefix: Path,
    *,
    kind: str,
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    script_timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> dict[str, str]:
    """The activation as a kernel.json `env` block that does not freeze the caller's PATH.

    jupyter_client expands `${NAME}` in kernel.json env values from the launching
    environment, so PATH becomes `<dirs activation adds>:${PATH}` (other `$` are
    escaped). A marker entry put in front of PATH tells added dirs from inherited
    ones. Variables activation removes cannot be expressed in kernel.json; the
    server's own conda/venv variables are left out of the base so none leak in.
    """
    base = {
        k: v
        for k, v in (os.environ if environ is None else environ).items()
        if not k.startswith("CONDA_PREFIX") and k not in {"CONDA_SHLVL", "VIRTUAL_ENV"}
    }
    base["PATH"] = os.pathsep.join(filter(None, [_PATH_MARKER, base.get("PATH", "")]))
    activation = compute_activation(
        prefix, kind=kind, name=name, environ=base, script_timeout=script_timeout
    )
    block = {k: v.replace("$", "$$") for k, v in activation.set.items() if k != "PATH"}
    entries = activation.set.get("PATH", "").split(os.pathsep)
    added = entries[: entries.index(_PATH_MARKER)] if _PATH_MARKER in entries else []
    block["PATH"] = os.pathsep.join([*(e.replace("$", "$$") for e in added), "${PATH}"])
    return block
