""" "Add kernel": install ipykernel into an environment that lacks it.

- venvs: `uv pip install --python <prefix>/bin/python ipykernel` (uv finds the
  venv from the interpreter; about a second with a warm cache).
- conda envs: the caller passes `install`, normally the manager's install with the
  env's own engine, so ipykernel comes from the env's channels as a conda package.
  Without one, uv installs the PyPI wheel into the env's Python, which is what
  `pip install ipykernel` inside an activated env does; used when no conda engine
  can serve (no conda, no channel carrying ipykernel).

Either way the env gets `share/jupyter/kernels/python3/kernel.json`, which the
spec manager picks up on its next listing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from ..core.errors import (
    EngineFailure,
    EngineUnavailable,
    EnvironmentNotFound,
    InvalidRequest,
)
from ..core.info import uv_binary
from ..core.models import Environment, ProgressCallback, ProgressEvent, ignore_progress
from ..core.site_packages import has_ipykernel, python_version
from ..core.subprocess_runner import run_command
from .env_kernels import env_executable, spec_files

#: `install(env, specs)` installs conda match specs into `env` (e.g. EnvManager.install).
InstallFn = Callable[[Environment, list[str]], Awaitable[object]]

DEFAULT_TIMEOUT = 600.0


async def add_kernel(
    env: Environment,
    *,
    install: InstallFn | None = None,
    progress: ProgressCallback = ignore_progress,
    timeout: float = DEFAULT_TIMEOUT,
) -> Environment:
    """Make `env` a kernel; return it re-read from disk (`has_ipykernel` now True).

    Does nothing when the env already has ipykernel and a kernel spec.
    Raises InvalidRequest when the env has no Python, EngineFailure when the
    install fails (with the tool's message).
    """
    if not env.prefix.is_dir():
        raise EnvironmentNotFound(f"Environment {env.name!r} no longer exists at {env.prefix}.")
    if env.has_ipykernel and spec_files(env.prefix):
        return env
    if env.kind == "conda" and install is not None:
        progress(ProgressEvent(stage="add-kernel", message="Installing ipykernel (conda)"))
        await install(env, ["ipykernel"])
    else:
        await _uv_install(env, progress=progress, timeout=timeout)
    if not has_ipykernel(env.prefix):
        raise EngineFailure(f"ipykernel was installed but is not found in {env.prefix}.")
    return replace(env, has_ipykernel=True, python_version=python_version(env.prefix))


async def _uv_install(env: Environment, *, progress: ProgressCallback, timeout: float) -> None:
    python = env_executable(env.prefix, "python", env.kind)
    if python is None:
        raise InvalidRequest(
            f"Environment {env.name!r} has no Python interpreter; install python into it "
            "before adding a kernel."
        )
    uv = uv_binary()
    if uv is None:
        raise EngineUnavailable("uv is needed to install ipykernel into this environment.")
    progress(ProgressEvent(stage="add-kernel", message="Installing ipykernel (uv)"))

    def on_line(stream: str, line: str) -> None:
        if line.strip():
            progress(ProgressEvent(stage="add-kernel", message=line.strip()))

    try:
        result = await run_command(
            [uv, "pip", "install", "--python", str(python), "ipykernel"],
            on_line=on_line,
            timeout=timeout,
        )
    except TimeoutError as error:
        raise EngineFailure(f"Installing ipykernel timed out: {error}") from None
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise EngineFailure(f"Installing ipykernel into {env.name!r} failed:\n{tail}")
