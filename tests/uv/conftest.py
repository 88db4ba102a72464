"""Fixtures for the uv / venv+pip engine tests.

Most tests install from a LOCAL WHEELHOUSE of tiny wheels built here (no
network, milliseconds each); see `uvenv_helpers.py`. Tests that reach the real
PyPI are marked `network` (`pytest -m "not network"` skips them).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from uvenv_helpers import WHEELHOUSE_DISTS, LocalIndex, build_wheel

from jupyter_env_manager.core.engines.uv_engine import UvEngine
from jupyter_env_manager.core.engines.venv_pip_engine import VenvPipEngine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "network: the test downloads from the real PyPI")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheelhouse")
    for dist in WHEELHOUSE_DISTS:
        build_wheel(directory, dist)
    return directory


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private uv cache, so tests never read wheels cached by other runs."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def uv_engine(wheelhouse: Path, uv_cache: Path) -> UvEngine:
    return UvEngine(find_links=[str(wheelhouse)], offline=True, cache_dir=uv_cache)


@pytest.fixture
def pip_engine(wheelhouse: Path, monkeypatch: pytest.MonkeyPatch) -> VenvPipEngine:
    # Machine-wide pip settings (extra find-links, indexes) must not leak into
    # what the tests install: only the wheelhouse counts.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    return VenvPipEngine(find_links=[str(wheelhouse)], offline=True)


@pytest.fixture(scope="session")
def old_wheelhouse(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheelhouse as it was before alpha 2.0 and beta 1.5 were released."""
    directory = tmp_path_factory.mktemp("old-wheelhouse")
    for wheel in wheelhouse.iterdir():
        if wheel.name not in {"alpha-2.0-py3-none-any.whl", "beta-1.5-py3-none-any.whl"}:
            shutil.copy2(wheel, directory / wheel.name)
    return directory


@pytest.fixture
def local_index(wheelhouse: Path) -> Iterator[LocalIndex]:
    index = LocalIndex(wheelhouse)
    yield index
    index.close()


@pytest_asyncio.fixture
async def hanging_server() -> AsyncIterator[str]:
    """An HTTP server that accepts connections and never answers: a stalled index."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/simple/"
    for writer in held:
        writer.close()
    server.close()
