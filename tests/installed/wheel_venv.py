"""The product as a user installs it: the built wheel plus JupyterLab in a fresh venv.

Shared by the pytest tier (tests/installed) and the browser tier's web server
(serve_installed.py). Nothing here configures the product: no config file, no
`kernel_spec_manager_class`, no JUPYTER_CONFIG_DIR. The server gets a HOME of its own
and the venv's bin first on PATH, as `source venv/bin/activate; jupyter lab` would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
DIST = "jupyter_env_manager"
LABEXTENSION = "share/jupyter/labextensions/jupyter-env-manager"

# What a wheel must carry for `pip install` alone to give a working JupyterLab extension.
WHEEL_DATA_FILES = (
    "etc/jupyter/jupyter_server_config.d/jupyter_env_manager.json",
    f"{LABEXTENSION}/package.json",
    f"{LABEXTENSION}/install.json",
    f"{LABEXTENSION}/static/style.js",
)

# Variables that would point the server at a config, data dir or Python that is not
# the fresh install's: a user's shell that just activated the venv has none of them.
_FOREIGN_VARIABLES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX", "CONDA_EXE",
                      "CONDA_DEFAULT_ENV", "CONDA_SHLVL", "CONDA_PYTHON_EXE", "_CE_CONDA",
                      "_CE_M", "MAMBA_ROOT_PREFIX", "MAMBA_EXE")  # fmt: skip
_FOREIGN_PREFIXES = ("JUPYTER", "JPY_", "JEM_", "IPYTHON", "XDG_")


class InstallError(RuntimeError):
    """The wheel could not be built or installed: the tier cannot run at all."""


def uv_executable() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:  # a Python without the project's dependencies: uv from PATH
        found = shutil.which("uv")
        if found is None:
            raise InstallError("uv is needed to build and install the wheel") from None
        return found
    return find_uv_bin()


def _run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InstallError(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return done.stdout


def build_wheel(out_dir: Path, source: Path = REPO) -> Path:
    """Build the wheel from the work tree, as `uv build --wheel` in a clone would."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _run([uv_executable(), "build", "--wheel", "--quiet", "--out-dir", str(out_dir), str(source)])
    wheels = sorted(out_dir.glob(f"{DIST}-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise InstallError(f"uv build wrote no {DIST} wheel into {out_dir}")
    check_wheel(wheels[-1])
    return wheels[-1]


def check_wheel(wheel: Path) -> None:
    """Refuse a wheel that would install a server extension without its frontend or config."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    data = [n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n]
    missing = [path for path in WHEEL_DATA_FILES if path not in data]
    if not any(p.startswith(f"{LABEXTENSION}/static/remoteEntry.") for p in data):
        missing.append(f"{LABEXTENSION}/static/remoteEntry.*.js")
    if missing:
        raise InstallError(f"{wheel.name} lacks {', '.join(missing)}")


def install_venv(venv: Path, requirements: list[str], python: str | None = None) -> Path:
    """A fresh venv of `python` holding `requirements`, compiled to bytecode as pip does.

    uv skips compiling unless asked, and this machine sets PYTHONDONTWRITEBYTECODE:
    without .pyc files every kernel and server start would recompile its imports.
    """
    if venv.exists():
        shutil.rmtree(venv)
    uv = uv_executable()
    env = {**os.environ, "UV_COMPILE_BYTECODE": "1"}
    env.pop("VIRTUAL_ENV", None)
    _run([uv, "venv", "--quiet", "--python", python or _python_for_venv(), str(venv)], env=env)
    _run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
          *requirements], env=env)  # fmt: skip
    return venv


def _python_for_venv() -> str:
    # The interpreter running the tests: a version known to work with the product.
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def wheel_venv(root: Path, source: Path = REPO) -> Path:
    """Build the wheel of `source` and install it with JupyterLab into `root/venv`."""
    wheel = build_wheel(root / "dist", source)
    return install_venv(root / "venv", [str(wheel), "jupyterlab"])


def user_environ(home: Path, venv: Path, extra_path: list[Path] | None = None) -> dict[str, str]:
    """The environment of a user who activated `venv`, with `home` as their home.

    The machine's other variables (CA bundles, proxies, locale) stay: a user has them.
    uv's cache is the machine's own (a user's uv has one too; every entry is immutable),
    so environments are not downloaded again for every fresh HOME.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _FOREIGN_VARIABLES and not key.startswith(_FOREIGN_PREFIXES)
    }
    system_path = [
        p for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and not _inside(Path(p), Path(sys.prefix))
    ]  # fmt: skip
    env["PATH"] = os.pathsep.join(
        [str(venv / "bin"), *(str(p) for p in extra_path or []), *system_path]
    )
    env["HOME"] = str(home)
    env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR") or _machine_uv_cache()
    env["VIRTUAL_ENV"] = str(venv)
    return env


def _machine_uv_cache() -> str:
    return _run([uv_executable(), "cache", "dir"]).strip()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


def lab_argv(venv: Path, port: int, token: str, *extra: str) -> list[str]:
    """`jupyter lab` as a user starts it; --allow-root only where the server demands it."""
    argv = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", *extra]  # fmt: skip
    if os.getuid() == 0:
        argv.append("--allow-root")
    return argv


@dataclass
class LabServer:
    """A `jupyter lab` process of the installed venv, reached over real HTTP."""

    venv: Path
    home: Path
    root_dir: Path
    port: int
    token: str
    extra_args: tuple[str, ...] = ()
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def environ(self) -> dict[str, str]:
        return user_environ(self.home, self.venv)

    def start(self, timeout: float = 120) -> LabServer:
        self.home.mkdir(parents=True, exist_ok=True)
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_path or self.home.parent / f"server-{self.port}.log"
        log = self.log_path.open("w")
        # Its own session: stopping it reaches the kernels it started, and only those.
        self.process = subprocess.Popen(
            lab_argv(self.venv, self.port, self.token, *self.extra_args),
            cwd=self.root_dir, env=self.environ(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise InstallError(f"jupyter lab exited {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/api/status", headers=self.headers, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise InstallError(f"jupyter lab did not answer within {timeout} s:\n{self.log()}")

    def log(self, tail: int = 6000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # jupyter asks for confirmation on SIGINT
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        # Whatever the server left behind in its session (kernels, Dask workers).
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
