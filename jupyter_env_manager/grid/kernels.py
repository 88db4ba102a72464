"""Which kernel runs a grid, and which environment (prefix) that kernel lives in.

A grid names a kernel (any kernelspec the KernelSpecManager finds), an environment
(name or prefix), or both:

- `--env ENV`: the environment's kernels as `EnvKernelSpecManager` lists them; a
  conda env's Python kernel is `conda-env-<env>-py` (nb_conda_kernels' scheme), a
  venv's is `venv-<venv>-py`. The env's Python kernel is chosen, else its only kernel.
- `--kernel NAME`: that kernelspec. Its environment is the env that ships it, or,
  for a plain kernelspec, the prefix of the interpreter in its argv: jupyter_client
  runs a bare `python` argv with the server's own interpreter, so that is
  `sys.prefix`; an absolute interpreter path is asked for its `sys.prefix`.

The prefix is what the environment fingerprint is computed from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from ..core import discovery
from ..core.errors import EnvironmentNotFound
from .errors import InvalidGrid, KernelNotFound

_BARE_PYTHONS = {
    "python",
    f"python{sys.version_info[0]}",
    f"python{sys.version_info[0]}.{sys.version_info[1]}",
}
_PREFIX_QUERY_TIMEOUT = 30.0


@dataclass(frozen=True)
class KernelTarget:
    kernel_name: str
    language: str
    display_name: str
    #: The environment prefix, or None when it cannot be known (then no fingerprint check).
    prefix: str | None
    env_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kernel_name": self.kernel_name,
            "language": self.language,
            "display_name": self.display_name,
            "prefix": self.prefix,
            "env_name": self.env_name,
        }


#: The config sections that decide which environments a kernel name stands for.
KERNEL_CONFIG_SECTIONS = ("EnvKernelSpecManager", "EnvManager")


def kernel_config_of(ksm: Any) -> dict[str, Any]:
    """The parts of `ksm`'s config a worker needs to find the same kernels, as plain data."""
    config = getattr(ksm, "config", None) or {}
    return {
        section: dict(config[section]) for section in KERNEL_CONFIG_SECTIONS if section in config
    }


def default_spec_manager(kernel_config: dict[str, Any] | None = None) -> KernelSpecManager:
    """The same kernel names the server offers: environment kernels plus plain ones, from
    the Jupyter config files here and what the coordinator passed along."""
    from traitlets.config import Config

    from ..cli.config import load_config
    from ..kernels.spec_manager import EnvKernelSpecManager

    config = load_config()
    if kernel_config:
        config.merge(Config(kernel_config))
    return EnvKernelSpecManager(config=config)


def _interpreter_prefix(argv0: str) -> str | None:
    if argv0 in _BARE_PYTHONS:
        return sys.prefix
    if not os.path.isabs(argv0):
        return None
    try:
        done = subprocess.run(
            [argv0, "-c", "import sys; print(sys.prefix)"],
            capture_output=True,
            text=True,
            timeout=_PREFIX_QUERY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    prefix = done.stdout.strip()
    return prefix if done.returncode == 0 and prefix else None


def _known_names(ksm: KernelSpecManager) -> str:
    names = sorted(ksm.find_kernel_specs())
    return ", ".join(names) if names else "none"


def _from_kernel(ksm: KernelSpecManager, kernel_name: str) -> KernelTarget:
    try:
        spec = ksm.get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise KernelNotFound(
            f"No kernel named {kernel_name!r}. Known kernels: {_known_names(ksm)}.",
            details={"kernel": kernel_name},
        ) from None
    find_env_kernel = getattr(ksm, "find_env_kernel", None)
    env_kernel = find_env_kernel(kernel_name) if find_env_kernel else None
    if env_kernel is not None:
        prefix: str | None = str(env_kernel.env.prefix)
        env_name: str | None = env_kernel.env.name
    else:
        language = (spec.language or "").lower()
        prefix = _interpreter_prefix(spec.argv[0]) if spec.argv and language == "python" else None
        env_name = None
    return KernelTarget(
        kernel_name=kernel_name,
        language=spec.language or "",
        display_name=spec.display_name or kernel_name,
        prefix=prefix,
        env_name=env_name,
    )


def _from_env(ksm: KernelSpecManager, env: str, kernel_name: str | None) -> KernelTarget:
    locations = getattr(ksm, "locations", None)
    if locations is None:
        raise InvalidGrid("Choosing a grid's kernel by environment needs EnvKernelSpecManager.")
    found = discovery.find_environment(locations(), env)
    if found is None:
        raise EnvironmentNotFound(
            f"No environment named {env!r}. `jupyter env-manager list` shows the known ones.",
            details={"env": env},
        )
    kernels = ksm.kernels_for(found)  # type: ignore[attr-defined]
    if kernel_name is not None:
        chosen = [k for k in kernels if k.name == kernel_name]
        if not chosen:
            names = ", ".join(k.name for k in kernels) or "none"
            raise KernelNotFound(
                f"Environment {found.name!r} has no kernel {kernel_name!r}; its kernels: {names}."
            )
    else:
        python = [k for k in kernels if str(k.spec.get("language", "")).lower() == "python"]
        chosen = python or kernels
        if not chosen:
            raise KernelNotFound(
                f"Environment {found.name!r} has no Jupyter kernel. Install one with "
                f"`jupyter env-manager kernel add {found.name}`.",
                details={"env": found.name},
            )
    kernel = chosen[0]
    return KernelTarget(
        kernel_name=kernel.name,
        language=str(kernel.spec.get("language", "")),
        display_name=str(kernel.spec.get("display_name", kernel.name)),
        prefix=str(found.prefix),
        env_name=found.name,
    )


def resolve_target(
    *,
    kernel_name: str | None = None,
    env: str | None = None,
    ksm: KernelSpecManager | None = None,
) -> KernelTarget:
    """The kernel and environment a grid runs in; errors name what exists instead."""
    ksm = ksm or default_spec_manager()
    if env:
        return _from_env(ksm, env, kernel_name)
    if not kernel_name:
        raise InvalidGrid("Choose where the grid runs: a kernel name or an environment.")
    return _from_kernel(ksm, kernel_name)


def normalized_prefix(prefix: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.abspath(os.fspath(prefix)))


def same_prefix(a: str | Path | None, b: str | Path | None) -> bool:
    return a is not None and b is not None and normalized_prefix(a) == normalized_prefix(b)
