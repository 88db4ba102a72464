"""Fixtures for the rattler engine tests: a real local channel, built once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_env_manager.core.engines.rattler_engine import RattlerEngine
from jupyter_env_manager.core.models import Environment

from .channel_builder import PackageDef, build_channel, build_wheel


@pytest.fixture(scope="session")
def channel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("channel")


@pytest.fixture(scope="session")
def channel_url(channel_dir: Path) -> str:
    """`file://` URL of the standard test channel (see `default_packages`)."""
    return build_channel(channel_dir)


@pytest.fixture(scope="session")
def many_files_channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A channel whose one package has 3000 files, so linking takes a measurable while."""
    files: dict[str, bytes | str] = {
        f"share/many/d{i // 100}/f{i}.txt": f"file {i}\n" * 50 for i in range(3000)
    }
    return build_channel(
        tmp_path_factory.mktemp("many-channel"), [PackageDef("many", "1.0", files=files)]
    )


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Locally built wheels of `tiny-pkg` 1.2 and 1.3, for offline pip installs."""
    folder = tmp_path_factory.mktemp("wheels")
    return {v: build_wheel(folder, "tiny-pkg", v) for v in ("1.2", "1.3")}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rattler-cache")


@pytest.fixture
def engine(channel_url: str, cache_dir: Path) -> RattlerEngine:
    return RattlerEngine(channels=[channel_url], cache_dir=cache_dir)


@pytest.fixture
def envs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "envs"
    path.mkdir()
    return path


@pytest.fixture
def as_env() -> Callable[[Path], Environment]:
    def make(prefix: Path) -> Environment:
        return Environment(name=prefix.name, prefix=prefix, kind="conda", engine="rattler")

    return make


def pip_spec(wheel: Path) -> str:
    """A PEP 508 direct reference to a local wheel (installs without an index)."""
    name = wheel.name.split("-")[0].replace("_", "-")
    return f"{name} @ {wheel.as_uri()}"
