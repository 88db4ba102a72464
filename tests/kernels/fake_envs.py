"""Environments as files on disk, for listing tests that need no interpreter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PYTHON_SPEC = {
    "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "metadata": {"debugger": True},
}
R_SPEC = {
    "argv": ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"],
    "display_name": "R",
    "language": "R",
}


def write_kernel(prefix: Path, kernel_dir: str, spec: dict[str, Any]) -> Path:
    folder = prefix / "share" / "jupyter" / "kernels" / kernel_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    (folder / "logo-64x64.png").write_bytes(b"\x89PNG fake logo")
    return folder


def executable(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


def fake_conda_env(prefix: Path, *, python: str = "3.12", kernels=("python3",)) -> Path:
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    (prefix / "conda-meta" / "history").write_text("")
    (prefix / "lib" / f"python{python}" / "site-packages").mkdir(parents=True, exist_ok=True)
    executable(prefix / "bin" / "python")
    for kernel in kernels:
        if kernel == "ir":
            executable(prefix / "bin" / "R")
            write_kernel(prefix, "ir", R_SPEC)
        else:
            write_kernel(prefix, kernel, PYTHON_SPEC)
    return prefix


def fake_venv(prefix: Path, *, python: str = "3.11.9", kernels=("python3",)) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {python}\n")
    executable(prefix / "bin" / "python")
    for kernel in kernels:
        write_kernel(prefix, kernel, PYTHON_SPEC)
    return prefix
