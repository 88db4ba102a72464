"""Fixtures for grid-search tests: notebooks written on the fly and a real Dask cluster."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

MakeNotebook = Callable[..., Path]


def write_notebook(
    path: Path, parameters: str | None, *cells: str, language: str = "python"
) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": language, "display_name": "Py"}
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def make_notebook(tmp_path: Path) -> MakeNotebook:
    def make(parameters: str | None, *cells: str, name: str = "nb.ipynb") -> Path:
        return write_notebook(tmp_path / name, parameters, *cells)

    return make


@pytest.fixture
def short_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder with a path short enough for socket names (pytest's own can
    be too deep, as in CI), made the process's temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="jks-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def worker_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of test workers (and so of their kernels): a bytecode cache.

    The shared .venv was installed without .pyc files and PYTHONDONTWRITEBYTECODE is
    set here, so every kernel would recompile scikit-learn (5 s instead of 1.5 s).
    A cache outside the venv changes nothing but speed.
    """
    cache = tmp_path_factory.mktemp("pycache")
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(cache)}


#: The scheduler's HTTP server on a port the system picks, never Dask's default 8787.
NO_HTTP_PORT = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


@pytest.fixture(scope="session")
def dask_scheduler(worker_env: dict[str, str]) -> Iterator[str]:
    """Address of a 2-worker process cluster shared by the tests that do not kill workers."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs=NO_HTTP_PORT,
        silence_logs=logging.ERROR,
        env=worker_env,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
