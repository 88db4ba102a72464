"""Write real kernelspec files for environment kernels, and remove them again.

papermill, nbconvert, VS Code and `jupyter console` use the stock
KernelSpecManager, which only reads kernelspec directories. `register` writes one
directory per kernel of an env (same name as our spec manager lists, so the
server shows it once) holding:

- `kernel.json` with the env's interpreter in `argv` and the env's activation as
  an `env` block (PATH as `<env dirs>:${PATH}`, expanded by jupyter_client at
  launch), so the kernel is activated without our provisioner or spec manager;
- the env kernel's resource files (logos);
- `metadata.jupyter_env_manager.registered = true` plus the env's name and prefix:
  only directories carrying this marker are ever replaced or removed, so specs
  written by anyone else are never touched.

Destinations: `user` (JUPYTER_DATA_DIR/kernels), `sys_prefix`
(`sys.prefix/share/jupyter/kernels`) or an explicit `prefix`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir

from ..core.errors import EnvironmentExists, EnvironmentNotFound, InvalidRequest
from .activation import static_env_block
from .env_kernels import KERNELS_SUBDIR, METADATA_KEY, EnvKernel


@dataclass(frozen=True)
class RegisteredKernel:
    name: str
    path: Path
    env_name: str
    env_prefix: str
    display_name: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "environment": self.env_name,
            "prefix": self.env_prefix,
            "display_name": self.display_name,
        }


def destination(*, user: bool = False, sys_prefix: bool = False, prefix: str | None = None) -> Path:
    """The kernels directory for exactly one of `user`, `sys_prefix`, `prefix`."""
    chosen = [bool(user), bool(sys_prefix), prefix is not None]
    if sum(chosen) != 1:
        raise InvalidRequest("Choose exactly one destination: --user, --sys-prefix or a prefix.")
    if user:
        return Path(jupyter_data_dir()) / "kernels"
    if sys_prefix:
        return Path(sys.prefix) / KERNELS_SUBDIR
    return Path(os.path.abspath(os.path.expanduser(str(prefix)))) / KERNELS_SUBDIR


def default_kernel_dirs() -> list[Path]:
    """Where `clean_stale` and `list_registered` look when not told."""
    return [destination(user=True), destination(sys_prefix=True)]


def _marker(spec: dict[str, Any]) -> dict[str, Any] | None:
    marker = (spec.get("metadata") or {}).get(METADATA_KEY)
    if isinstance(marker, dict) and marker.get("registered"):
        return marker
    return None


def _read_spec(kernel_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((kernel_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _registered_spec(kernel: EnvKernel, *, script_timeout: float) -> dict[str, Any]:
    env = kernel.env
    spec = {k: v for k, v in kernel.spec.items() if k != "metadata"}
    metadata = dict(kernel.spec.get("metadata") or {})
    # A file must work where our provisioner is not installed: activation goes
    # into the env block instead.
    metadata.pop("kernel_provisioner", None)
    metadata[METADATA_KEY] = {
        **metadata.get(METADATA_KEY, {}),
        "registered": True,
        "env_name": env.name,
        "env_prefix": str(env.prefix),
        "env_kind": env.kind,
    }
    spec["metadata"] = metadata
    activation = static_env_block(
        env.prefix, kind=env.kind, name=env.name, script_timeout=script_timeout
    )
    spec["env"] = {**activation, **dict(kernel.spec.get("env") or {})}
    return spec


def _write_dir(kernel: EnvKernel, target: Path, spec: dict[str, Any]) -> None:
    """Build the directory next to `target`, then swap it in, so no reader sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for item in kernel.kernel_dir.iterdir():
            if item.name != "kernel.json" and item.is_file():
                shutil.copy2(item, staging / item.name)
        (staging / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def register(
    kernels: Iterable[EnvKernel],
    *,
    user: bool = True,
    sys_prefix: bool = False,
    prefix: str | None = None,
    script_timeout: float = 10.0,
) -> list[RegisteredKernel]:
    """Write a kernelspec directory for each of `kernels` (all of one env, usually).

    Get the kernels from `EnvKernelSpecManager.kernels_for(env)`, so names match
    what the server lists. Raises EnvironmentExists (nothing written) when a
    directory of that name exists and is not ours.
    """
    kernels = list(kernels)
    if not kernels:
        raise InvalidRequest(
            "This environment has no kernel to register; add one first (install ipykernel into it)."
        )
    where = destination(
        user=user and not sys_prefix and prefix is None, sys_prefix=sys_prefix, prefix=prefix
    )
    for kernel in kernels:
        target = where / kernel.name
        existing = _read_spec(target) if target.exists() else None
        if target.exists() and (existing is None or _marker(existing) is None):
            raise EnvironmentExists(
                f"{target} exists and was not written by jupyter-env-manager; "
                "remove it yourself (jupyter kernelspec remove) if you want it replaced."
            )
    written = []
    for kernel in kernels:
        spec = _registered_spec(kernel, script_timeout=script_timeout)
        target = where / kernel.name
        _write_dir(kernel, target, spec)
        written.append(
            RegisteredKernel(
                name=kernel.name,
                path=target,
                env_name=kernel.env.name,
                env_prefix=str(kernel.env.prefix),
                display_name=str(spec.get("display_name", kernel.name)),
            )
        )
    return written


def list_registered(kernel_dirs: Iterable[Path] | None = None) -> list[RegisteredKernel]:
    """Every kernelspec directory we wrote in `kernel_dirs` (default: user and sys-prefix)."""
    found = []
    for directory in default_kernel_dirs() if kernel_dirs is None else kernel_dirs:
        try:
            children = sorted(directory.iterdir())
        except OSError:
            continue
        for child in children:
            spec = _read_spec(child) if child.is_dir() else None
            marker = _marker(spec) if spec is not None else None
            if spec is None or marker is None:
                continue
            found.append(
                RegisteredKernel(
                    name=child.name,
                    path=child,
                    env_name=str(marker.get("env_name", "")),
                    env_prefix=str(marker.get("env_prefix", "")),
                    display_name=str(spec.get("display_name", child.name)),
                )
            )
    return found


def _same_prefix(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def unregister(
    name: str,
    *,
    user: bool = True,
    sys_prefix: bool = False,
    prefix: str | None = None,
) -> list[RegisteredKernel]:
    """Remove the specs we wrote whose kernel name, env name or env prefix is `name`."""
    if not name:
        raise InvalidRequest("Give a kernel name, an environment name or a prefix.")
    where = destination(
        user=user and not sys_prefix and prefix is None, sys_prefix=sys_prefix, prefix=prefix
    )
    matches = [
        r
        for r in list_registered([where])
        if r.name.lower() == name.lower()
        or r.env_name == name
        or (os.path.isabs(name) and _same_prefix(r.env_prefix, name))
    ]
    if not matches:
        raise EnvironmentNotFound(
            f"No kernel registered by jupyter-env-manager for {name!r} in {where}."
        )
    for match in matches:
        shutil.rmtree(match.path)
    return matches


def forget_environment(
    prefix: str | Path, kernel_dirs: Iterable[Path] | None = None
) -> list[RegisteredKernel]:
    """Remove the specs we wrote for the environment at `prefix` (it is being removed:
    they would launch a kernel that no longer exists)."""
    removed = []
    for registered in list_registered(kernel_dirs):
        if registered.env_prefix and _same_prefix(registered.env_prefix, str(prefix)):
            shutil.rmtree(registered.path, ignore_errors=True)
            removed.append(registered)
    return removed


def _is_env(prefix: str) -> bool:
    path = Path(prefix)
    return (path / "conda-meta").is_dir() or (path / "pyvenv.cfg").is_file()


def clean_stale(kernel_dirs: Iterable[Path] | None = None) -> list[RegisteredKernel]:
    """Remove specs we wrote for environments that no longer exist; return them."""
    removed = []
    for registered in list_registered(kernel_dirs):
        if registered.env_prefix and not _is_env(registered.env_prefix):
            shutil.rmtree(registered.path, ignore_errors=True)
            removed.append(registered)
    return removed


def sync(
    kernels: Iterable[EnvKernel], where: Path, *, script_timeout: float = 10.0
) -> tuple[list[str], list[str]]:
    """Make `where` hold exactly one spec we wrote per kernel in `kernels`.

    Writes the missing or changed ones, removes ours that no kernel wants any more, and
    leaves every directory written by someone else alone (a name taken by such a
    directory is skipped). Returns the kernel names (written, removed).
    """
    wanted = {kernel.name: kernel for kernel in kernels}
    ours = {registered.name: registered for registered in list_registered([where])}
    written = []
    for name, kernel in wanted.items():
        target = where / name
        if target.exists() and name not in ours:
            continue
        spec = _registered_spec(kernel, script_timeout=script_timeout)
        # Compared as JSON: that is what the file holds (tuples read back as lists).
        if name in ours and _read_spec(target) == json.loads(json.dumps(spec)):
            continue
        _write_dir(kernel, target, spec)
        written.append(name)
    removed = []
    for name, registered in ours.items():
        if name not in wanted:
            shutil.rmtree(registered.path, ignore_errors=True)
            removed.append(name)
    return written, removed
