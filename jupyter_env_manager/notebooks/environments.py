"""Pin an environment into a notebook, check a pinned notebook here, and reproduce its
environment from the pin alone. The core shared by the CLI and the server.

Identity is the package fingerprint, not the name: a pinned notebook is satisfied by
any environment here with the same exact package set, whatever it is called, and a
rebuild from the lock is verified by fingerprint before it counts.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import EnvironmentExists, EnvManagerError
from ..core.manager import EnvManager
from ..core.models import Environment, EnvSpec, ProgressCallback, ProgressEvent, ignore_progress
from ..core.specfiles import parse_environment_yml
from ..grid.fingerprint import compute_fingerprint, package_entries
from ..kernels.spec_manager import EnvKernelSpecManager
from .lockable import check_lockable
from .pin import (
    GRID_PIN_FILE,
    Pin,
    PinError,
    pin_of,
    read_notebook,
    set_kernel,
    set_pin,
    write_notebook,
)


def current_platform() -> str:
    from rattler import Platform

    return str(Platform.current())


@dataclass
class PinStatus:
    """How the environment here compares with the notebook's pin."""

    #: "match" (the same package set is here), "differs" (an env of the pinned name
    #: has other packages), "missing" (nothing here has it), "unpinned".
    state: str
    pinned: str | None = None
    #: The environment here that matches (maybe under another name) or differs.
    environment: str | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "pinned": self.pinned,
            "environment": self.environment,
            "added": self.added,
            "removed": self.removed,
            "message": self.message,
        }


class NotReproducible(EnvManagerError):
    status = 422


def _kernelspec(ksm: EnvKernelSpecManager, env: Environment) -> dict[str, str] | None:
    kernels = ksm.kernels_for(env)
    python = [k for k in kernels if str(k.spec.get("language", "")).lower() == "python"]
    chosen = (python or kernels or [None])[0]
    if chosen is None:
        return None
    return {
        "name": chosen.name,
        "display_name": str(chosen.spec.get("display_name", chosen.name)),
        "language": str(chosen.spec.get("language", "")),
    }


async def environment_pin(
    manager: EnvManager, ksm: EnvKernelSpecManager, env_name: str
) -> tuple[Pin, dict[str, str] | None]:
    """The pin of `env_name` as it is now, and its kernel's kernelspec metadata."""
    env = manager.get(env_name)
    check_lockable(env.name, env.prefix)
    spec = await manager.export(env.name, "from-history")
    lock = await manager.export(env.name, "lock")
    fingerprint = await asyncio.to_thread(compute_fingerprint, env.prefix)
    kernelspec = _kernelspec(ksm, env)
    pin = Pin(
        name=env.name,
        engine=env.engine,
        kind=env.kind,
        platform=current_platform(),
        python=env.python_version,
        spec=spec,
        lock=lock,
        fingerprint=fingerprint.digest,
        packages=await asyncio.to_thread(package_entries, env.prefix),
        kernel=kernelspec["name"] if kernelspec else None,
    )
    return pin, kernelspec


async def pin_notebook(
    manager: EnvManager, ksm: EnvKernelSpecManager, notebook_path: Path, env_name: str
) -> tuple[Pin, bool]:
    """Write the pin of `env_name` into the notebook; returns it and whether it changed."""
    notebook = read_notebook(notebook_path)
    pin, kernelspec = await environment_pin(manager, ksm, env_name)
    changed = set_pin(notebook, pin, kernelspec)
    if changed:
        write_notebook(notebook_path, notebook)
    return pin, changed


def required_pin(notebook_path: Path) -> Pin:
    pin = pin_of(read_notebook(notebook_path), str(notebook_path))
    if pin is None:
        raise PinError(
            f"{notebook_path} has no pinned environment; pin one first "
            "(`jupyter env-manager pin NOTEBOOK --env NAME`)."
        )
    return pin


def _same_packages(manager: EnvManager, pin: Pin) -> Environment | None:
    """An environment here with the pin's exact package set, the pinned name first."""
    envs = sorted(manager.list(), key=lambda e: e.name != pin.name)
    for env in envs:
        if compute_fingerprint(env.prefix).digest == pin.fingerprint:
            return env
    return None


def status(manager: EnvManager, notebook_path: Path) -> PinStatus:
    pin = pin_of(read_notebook(notebook_path), str(notebook_path))
    if pin is None:
        return PinStatus("unpinned", message=f"{notebook_path.name} pins no environment.")
    same = _same_packages(manager, pin)
    if same is not None:
        where = "" if same.name == pin.name else f" (here it is called {same.name!r})"
        return PinStatus("match", pin.name, same.name, message=f"The pinned environment "
                         f"{pin.name!r} is here{where}, package for package.")  # fmt: skip
    named = next((e for e in manager.list() if e.name == pin.name), None)
    if named is not None:
        here = set(package_entries(named.prefix))
        pinned = set(pin.packages)
        added, removed = sorted(here - pinned), sorted(pinned - here)
        return PinStatus(
            "differs", pin.name, named.name, added, removed,
            f"{pin.name!r} differs from the pin: {len(added)} package(s) more or other, "
            f"{len(removed)} missing.",
        )  # fmt: skip
    return PinStatus(
        "missing", pin.name, message=f"No environment here has the pinned packages of "
        f"{pin.name!r}; reproduce it (`jupyter env-manager reproduce NOTEBOOK`)."
    )  # fmt: skip


def _venv_spec(pin: Pin, name: str) -> EnvSpec:
    """A venv's from-history file lists its requests under `pip:`: a uv venv again."""
    asked = parse_environment_yml(pin.spec)
    python = ".".join(pin.python.split(".")[:2]) if pin.python else None
    return EnvSpec(name=name, python=python, pip=list(asked.pip))


async def reproduce(
    manager: EnvManager,
    ksm: EnvKernelSpecManager,
    notebook_path: Path,
    name: str | None = None,
    *,
    progress: ProgressCallback = ignore_progress,
) -> dict[str, Any]:
    """Make the pinned environment available here and point the notebook at it."""
    pin = required_pin(notebook_path)
    same = await asyncio.to_thread(_same_packages, manager, pin)
    how = "reused"
    if same is None:
        target = name or pin.name
        if any(env.name == target for env in manager.list()):
            raise EnvironmentExists(
                f"An environment named {target!r} exists here with other packages; give "
                "another name (-n) to rebuild the pinned one beside it."
            )
        if pin.platform == current_platform():
            progress(
                ProgressEvent(stage="reproduce", message=f"Rebuilding {target!r} from its lock")
            )
            env = await manager.create_from_file(
                "pinned.lock", pin.lock, name=target, progress=progress
            )
            found = await asyncio.to_thread(compute_fingerprint, env.prefix)
            if found.digest != pin.fingerprint:
                raise NotReproducible(
                    f"{target!r} was rebuilt from the lock but its packages differ from the "
                    f"pin (fingerprint {found.short}, pinned {pin.fingerprint[:12]})."
                )
            how = "lock"
        else:
            progress(ProgressEvent(stage="reproduce", message=(
                f"The pin was made on {pin.platform}, this is {current_platform()}: "
                "rebuilding from the spec; packages may differ")))  # fmt: skip
            if pin.kind == "venv":
                env = await manager.create(target, _venv_spec(pin, target), engine="uv",
                                           progress=progress)  # fmt: skip
            else:
                env = await manager.create_from_file(
                    "environment.yml", pin.spec, name=target, progress=progress
                )
            how = "spec"
        same = env
    # Without a kernel (none was pinned either) the environment is still rebuilt.
    kernelspec = _kernelspec(ksm, same)
    if kernelspec is not None:
        notebook = read_notebook(notebook_path)
        if set_kernel(notebook, kernelspec):
            write_notebook(notebook_path, notebook)
    return {"environment": same.name, "prefix": str(same.prefix), "how": how,
            "kernel": kernelspec["name"] if kernelspec else None}  # fmt: skip


async def pin_grid(
    manager: EnvManager, ksm: EnvKernelSpecManager, out_dir: Path, env_name: str
) -> Pin:
    """Keep the pin of the environment a grid runs in beside its results, so every
    output notebook carries it (`reproduce runs/run-0007.ipynb` works)."""
    pin, _kernelspec = await environment_pin(manager, ksm, env_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / GRID_PIN_FILE).write_text(json.dumps(pin.to_json(), indent=1), encoding="utf-8")
    return pin
