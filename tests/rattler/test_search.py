"""Searching the local channel by substring and by match spec."""

from __future__ import annotations

import pytest

from jupyter_env_manager.core.errors import InvalidRequest


async def test_substring_returns_newest_of_each_name(engine):
    found = await engine.search("ta")
    assert [(p.name, p.version) for p in found] == [
        ("beta", "1.0"),
        ("delta", "1.0"),
        ("zeta", "0.5"),
    ]
    assert all(p.source == "conda" and p.url and len(p.sha256) == 64 for p in found)
    gamma = await engine.search("GAMMA")
    assert [(p.name, p.version) for p in gamma] == [("gamma", "2.0")]


async def test_match_spec_returns_every_matching_version(engine):
    found = await engine.search("gamma>=1.5")
    assert [(p.name, p.version) for p in found] == [("gamma", "2.0"), ("gamma", "1.5")]
    assert [p.version for p in await engine.search("alpha <2")] == ["1.0"]


async def test_search_without_match_and_with_other_channel(engine, many_files_channel):
    assert await engine.search("nothing-like-this") == []
    assert await engine.search("gamma>=5") == []
    other = await engine.search("man", channels=[many_files_channel])
    assert [p.name for p in other] == ["many"]


@pytest.mark.parametrize("query", ["", "   ", "alpha>="])
async def test_bad_queries_are_invalid_requests(engine, query):
    with pytest.raises(InvalidRequest):
        await engine.search(query)
