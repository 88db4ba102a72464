"""Search never makes a user wait on a cold index (real uv against a slow local index)."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_env_manager.core.manager import EnvManager
from jupyter_env_manager.core.search_cache import IndexLoading
from tests.uv.uvenv_helpers import LocalIndex


@pytest.fixture
def slow_index(wheelhouse):
    index = LocalIndex(wheelhouse)
    index.delay = 2.0
    yield index
    index.close()


async def test_cold_index_says_loading_then_answers_from_memory(home, tmp_path, slow_index):
    manager = EnvManager(
        pypi_index_url=slow_index.url,
        venvs_dir=str(tmp_path / "venvs"),
        locks_dir=str(tmp_path / "locks"),
        search_first_wait=0.3,
    )
    with pytest.raises(IndexLoading) as loading:
        await manager.search("tiny", kind="venv")
    assert loading.value.status == 503
    assert "try again" in loading.value.message

    await asyncio.sleep(2.5)  # the lookup went on in the background
    found = await manager.search("tiny", kind="venv")
    assert [p.name for p in found] == ["tiny-pkg"]
    assert slow_index.requests.count("/simple/") == 1
    await manager.aclose()


async def test_stale_answers_are_served_at_once_and_refreshed_behind(home, tmp_path, slow_index):
    manager = EnvManager(
        pypi_index_url=slow_index.url,
        venvs_dir=str(tmp_path / "venvs"),
        locks_dir=str(tmp_path / "locks"),
        search_first_wait=None,
        search_cache_seconds=0.0,
    )
    try:
        first = await manager.search("tiny", kind="venv")  # waits: the CLI's way
        again = await manager.search("tiny", kind="venv")
        assert again == first  # stale: answered from memory, refreshed behind
    finally:
        await manager.aclose()
