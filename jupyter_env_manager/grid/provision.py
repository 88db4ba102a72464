"""Provisioning a grid's environment on a worker machine from the pin's exact lock.

A grid planned in an environment that only the coordinator has carries the pin
(`notebooks/pin.py`) to its workers. A worker without that environment builds it
from the lock: rattler installs a conda env from the explicit lock's URLs (no
solve), uv installs a venv from the hash lock (`--no-deps`, every pin hashed). The
result is verified by fingerprint before any run uses it.

Once per machine: environments live in a per-user cache folder keyed by
fingerprint (`JUPYTER_ENV_MANAGER_PROVISION_DIR`, else
`$XDG_CACHE_HOME/jupyter-env-manager/provisioned`), so every worker process of a
machine shares it. Builders take an exclusive `flock` on the fingerprint's folder;
the others wait for it, then find the finished env. A build counts only once its
`provisioned.json` marker is written (after the fingerprint check): a builder
killed halfway leaves no marker and releases its lock by dying, and the next
worker wipes the remains and builds again.

Every build and reuse is appended to `provision-log.jsonl` in the cache folder:
the machine's own record of what it provisioned, when and how long it took.

Layout under `<cache>/<fingerprint[:24]>/`: `envs/<name>` (conda) or
`venvs/<name>` (venv), so the environment keeps the name its kernel is known by
(`conda-env-<name>-py`, `venv-<name>-py`) wherever it is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import EnvManagerError
from ..core.models import ProgressCallback, ignore_progress
from .fingerprint import compute_fingerprint

PROVISION_DIR_VARIABLE = "JUPYTER_ENV_MANAGER_PROVISION_DIR"
MARKER = "provisioned.json"
LOG_FILE = "provision-log.jsonl"
#: The EnvManager settings a worker needs to reach the same package sources.
ENGINE_SETTINGS = ("pypi_index_url", "find_links", "offline", "channels")


class ProvisionRefused(EnvManagerError):
    """The pinned environment cannot be built on this worker (another platform, a lock
    that rebuilds other packages): final, retrying elsewhere gives the same answer."""

    status = 409


def provision_root() -> Path:
    configured = os.environ.get(PROVISION_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "jupyter-env-manager" / "provisioned"


def current_platform() -> str:
    from rattler import Platform

    return str(Platform.current())


@dataclass(frozen=True)
class ProvisionRequest:
    """What a worker needs to rebuild the grid's environment: the pin, minus what only
    matters to a reader (spec, package list), plus the coordinator's package sources."""

    fingerprint: str
    name: str
    kind: str
    engine: str
    platform: str
    python: str | None
    lock: str
    engine_settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_pin(
        cls, pin: dict[str, Any], env_manager_config: dict[str, Any] | None = None
    ) -> ProvisionRequest:
        env = pin["environment"]
        config = env_manager_config or {}
        return cls(
            fingerprint=str(pin["fingerprint"]),
            name=str(env["name"]),
            kind=str(env["kind"]),
            engine=str(env["engine"]),
            platform=str(pin["platform"]),
            python=pin.get("python"),
            lock=str(pin["lock"]),
            engine_settings={k: config[k] for k in ENGINE_SETTINGS if k in config},
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProvisionRequest:
        return cls(**data)


@dataclass(frozen=True)
class Provisioned:
    fingerprint: str
    prefix: str
    #: The fingerprint's folder: its `envs/` and `venvs/` are where kernels are looked for.
    home: str
    #: "built" (this call made it) or "reused" (a worker of this machine had).
    how: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def env_home(root: Path, fingerprint: str) -> Path:
    return root / fingerprint[:24]


def env_prefix(home: Path, request: ProvisionRequest) -> Path:
    return home / ("venvs" if request.kind == "venv" else "envs") / request.name


def spec_manager_config(home: Path) -> dict[str, Any]:
    """Kernel discovery that sees only the provisioned environment (no base, no plain
    kernels): its kernel name cannot resolve to another env of the same name here."""
    return {
        "EnvKernelSpecManager": {
            "envs_dirs": [str(home / "envs")],
            "venvs_dir": str(home / "venvs"),
            "root_prefix": "",
            "environments_txt": str(home / "environments.txt"),
            "keep_plain_kernels": False,
        },
        "EnvManager": {"locks_dir": str(home / "locks")},
    }


def _engine(request: ProvisionRequest) -> Any:
    settings = request.engine_settings
    if request.kind == "venv":
        from ..core.engines.uv_engine import UvEngine
        from ..core.engines.venv_pip_engine import VenvPipEngine

        cls = UvEngine if UvEngine.is_available() else VenvPipEngine
        # The coordinator's wheel folders may not exist on this machine (uv would fail on
        # them); URLs and folders that are here (a shared file system) are kept.
        links = [
            str(link) for link in settings.get("find_links") or []
            if "://" in str(link) or Path(str(link)).expanduser().is_dir()
        ]  # fmt: skip
        return cls(
            index_url=settings.get("pypi_index_url") or None,
            find_links=links or None,
            offline=bool(settings.get("offline", False)),
        )
    # Any conda-kind pin (rattler, conda, mamba) rebuilds with the embedded rattler: a
    # fresh machine has no conda, and the explicit lock names every package's URL.
    from ..core.engines.rattler_engine import RattlerEngine

    return RattlerEngine(channels=list(settings.get("channels") or []) or None)


@contextlib.asynccontextmanager
async def _exclusive(path: Path) -> AsyncIterator[None]:
    # Each call opens the file anew: flocks of separate opens exclude each other even
    # between threads of one process (workers of an embedded cluster share one).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock; a killed holder releases it by dying


def _append_log(root: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry, sort_keys=True) + "\n"
    # One write of one short line in append mode: lines of concurrent workers never mix.
    with open(root / LOG_FILE, "a", encoding="utf-8") as log:
        log.write(line)


def read_log(root: Path | None = None) -> list[dict[str, Any]]:
    """The machine's provisioning records, oldest first."""
    try:
        text = ((root or provision_root()) / LOG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _finished(home: Path, prefix: Path, fingerprint: str) -> bool:
    try:
        marker = json.loads((home / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        marker.get("fingerprint") == fingerprint
        and prefix.is_dir()
        and compute_fingerprint(prefix).digest == fingerprint
    )


def _write_marker(home: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{MARKER}.", dir=home)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, home / MARKER)


def check_platform(request: ProvisionRequest) -> None:
    here = current_platform()
    if request.platform != here:
        raise ProvisionRefused(
            f"The grid's environment {request.name!r} was locked on {request.platform}; this "
            f"worker ({socket.gethostname()}) is {here}, so it cannot be rebuilt from the "
            "lock. Create the environment on the worker from its spec, or run the grid "
            "on workers of the same platform.",
            details={"locked_on": request.platform, "worker": here},
        )


async def _build(request: ProvisionRequest, prefix: Path, progress: ProgressCallback) -> None:
    if prefix.exists() or prefix.is_symlink():
        # The remains of a builder that died: never trusted, never reused.
        await asyncio.to_thread(shutil.rmtree, prefix, True)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    for staging in prefix.parent.glob(f".{prefix.name}.partial-*"):
        # rattler's staging folder of a killed build (it links there, then renames).
        await asyncio.to_thread(shutil.rmtree, staging, True)
    engine = _engine(request)
    try:
        await engine.create_from_lock(prefix, request.lock, progress)
    finally:
        drain = getattr(engine, "drain", None)
        if drain is not None:
            await drain()


async def ensure_environment(
    request: ProvisionRequest,
    root: Path | None = None,
    *,
    progress: ProgressCallback = ignore_progress,
) -> Provisioned:
    """The pinned environment on this machine: found in the cache, else built from the
    lock (one builder per machine at a time) and verified by fingerprint."""
    check_platform(request)
    root = root or provision_root()
    home = env_home(root, request.fingerprint)
    home.mkdir(parents=True, exist_ok=True)
    prefix = env_prefix(home, request)
    started = time.monotonic()
    entry: dict[str, Any] = {
        "fingerprint": request.fingerprint,
        "prefix": str(prefix),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }

    async with _exclusive(home / ".lock"):
        if _finished(home, prefix, request.fingerprint):
            how = "reused"
        else:
            (home / MARKER).unlink(missing_ok=True)
            await _build(request, prefix, progress)
            found = compute_fingerprint(prefix)
            if found.digest != request.fingerprint:
                raise ProvisionRefused(
                    f"The environment rebuilt from the lock of {request.name!r} at {prefix} "
                    f"has other packages than the pin (fingerprint {found.short}, pinned "
                    f"{request.fingerprint[:12]}); the lock does not reproduce it here.",
                    details={"prefix": str(prefix), "found": found.digest},
                )
            _write_marker(home, {**entry, "time": time.time()})
            how = "built"
    seconds = round(time.monotonic() - started, 3)
    _append_log(root, {**entry, "event": how, "seconds": seconds, "time": time.time()})
    return Provisioned(request.fingerprint, str(prefix), str(home), how, seconds)


def main(argv: list[str] | None = None) -> int:
    """`python -m jupyter_env_manager.grid.provision REQUEST.json`: provision as a worker
    would (used to provision a machine ahead of a grid, and by tests that kill it)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_env_manager.grid.provision REQUEST.json", file=sys.stderr)
        return 2
    try:
        request = ProvisionRequest.from_json(json.loads(Path(args[0]).read_text("utf-8")))
        done = asyncio.run(ensure_environment(request))
    except EnvManagerError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps(done.to_json()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
