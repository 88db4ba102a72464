"""The errors a conda user meets, from the real conda: each one line, of the class the
server turns into the right HTTP status, and nothing made or changed."""

from __future__ import annotations

import pytest

from jupyter_env_manager.core.errors import (
    ChannelUnreachable,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from jupyter_env_manager.core.models import EnvSpec

from .conftest import conda_list, env_at

#: Nothing listens here (ports 18110-18119 are this test suite's).
DEAD_PORT_CHANNEL = "http://127.0.0.1:18117/chan"


def one_line(error) -> str:
    assert "\n" not in error.message
    return error.message


async def test_unsatisfiable_names_the_conflict(engine, tmp_path):
    prefix = tmp_path / "envs" / "unsat"
    with pytest.raises(Unsatisfiable) as caught:
        await engine.create(prefix, EnvSpec(conda=["beta", "alpha>=2"]))
    assert type(caught.value) is Unsatisfiable and caught.value.status == 422
    message = one_line(caught.value)
    assert "beta" in message and "alpha" in message and ">=2" in message
    assert not prefix.exists()


async def test_unknown_package_is_named_with_the_channel(engine, conda_channel, tmp_path):
    prefix = tmp_path / "envs" / "unknown"
    await engine.create(prefix, EnvSpec(conda=["alpha"]))
    before = conda_list(prefix)
    with pytest.raises(PackagesNotFound) as caught:
        await engine.install(env_at(prefix), ["alpha", "surely-not-a-package"])
    assert caught.value.names == ["surely-not-a-package"]
    assert conda_channel in one_line(caught.value)
    assert conda_list(prefix) == before


async def test_removing_a_package_that_is_not_installed(engine, tmp_path):
    prefix = tmp_path / "envs" / "absent"
    await engine.create(prefix, EnvSpec(conda=["alpha"]))
    with pytest.raises(InvalidRequest) as caught:
        await engine.uninstall(env_at(prefix), ["gamma"])
    assert "gamma" in one_line(caught.value)


async def test_missing_channel_directory(engine, tmp_path):
    prefix = tmp_path / "envs" / "nochannel"
    with pytest.raises(InvalidRequest) as caught:
        await engine.create(prefix, EnvSpec(conda=["alpha"], channels=["file:///nonexistent"]))
    assert "file:///nonexistent" in one_line(caught.value)
    assert not prefix.exists()


async def test_unreachable_channel(engine, monkeypatch, tmp_path):
    # Offline, conda treats an http channel as empty; a user online meets this error.
    monkeypatch.delenv("CONDA_OFFLINE")
    monkeypatch.setenv("CONDA_REMOTE_MAX_RETRIES", "0")
    prefix = tmp_path / "envs" / "unreachable"
    with pytest.raises(ChannelUnreachable) as caught:  # a 502, as for the other engines
        await engine.create(prefix, EnvSpec(conda=["alpha"], channels=[DEAD_PORT_CHANNEL]))
    assert caught.value.status == 502
    message = one_line(caught.value)
    assert message.startswith(f"Could not reach channel {DEAD_PORT_CHANNEL}")
    assert "CONNECTION FAILED" in message
    assert not prefix.exists()


async def test_listing_a_prefix_that_is_not_an_env(engine, tmp_path):
    with pytest.raises(EnvironmentNotFound) as caught:
        await engine.list_packages(env_at(tmp_path / "nowhere"))
    one_line(caught.value)
