"""The one test that talks to the real PyPI: a venv with ipykernel, as users make it.

Marked `network`; deselect with `-m "not network"` where PyPI is unreachable.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from uvenv_helpers import env_at

from jupyter_env_manager.core.engines.pypi_lock import parse_lock
from jupyter_env_manager.core.engines.uv_engine import UvEngine
from jupyter_env_manager.core.engines.venv_state import venv_python
from jupyter_env_manager.core.models import EnvSpec
from jupyter_env_manager.core.site_packages import has_ipykernel

pytestmark = [pytest.mark.asyncio, pytest.mark.network]


async def test_ipykernel_venv_from_pypi_and_its_hashed_lock(tmp_path: Path) -> None:
    engine = UvEngine(search_cache_dir=tmp_path / "search-cache")
    prefix = tmp_path / "kernel-env"
    await engine.create(prefix, EnvSpec(pip=["ipykernel"]))
    assert has_ipykernel(prefix)
    done = subprocess.run(
        [str(venv_python(prefix)), "-c", "import sys, ipykernel; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()).resolve() == prefix.resolve()

    # Hashes come from PyPI's JSON simple pages; the lock rebuilds the same set.
    lock = await engine.export(env_at(prefix), "lock")
    _, pins = parse_lock(lock)
    assert {"ipykernel", "jupyter-client", "tornado"} <= {p.name for p in pins}
    assert all(p.hashes for p in pins)
    copy = tmp_path / "from-lock"
    await engine.create_from_lock(copy, lock)
    original = [(p.name, p.version) for p in await engine.list_packages(env_at(prefix))]
    assert [(p.name, p.version) for p in await engine.list_packages(env_at(copy))] == original
