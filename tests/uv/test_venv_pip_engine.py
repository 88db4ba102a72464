"""The venv + pip fallback engine against the local wheelhouse (offline).

`python -m venv` seeds pip and setuptools from the interpreter's bundled
`ensurepip` wheels, so these tests need no network either.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from uvenv_helpers import CURRENT_PYTHON, env_at, tree_snapshot

from jupyter_env_manager.core.engines.pypi_lock import parse_lock
from jupyter_env_manager.core.engines.venv_pip_engine import VenvPipEngine
from jupyter_env_manager.core.engines.venv_state import venv_python
from jupyter_env_manager.core.errors import InvalidRequest, PackagesNotFound, Unsatisfiable
from jupyter_env_manager.core.models import EnvSpec

pytestmark = pytest.mark.asyncio

SEEDED = {"pip", "setuptools"}


def user_versions(packages: list) -> dict[str, str]:
    return {p.name: p.version for p in packages if p.name not in SEEDED}


async def test_create_install_and_remove_with_pip(
    pip_engine: VenvPipEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    await pip_engine.create(prefix, EnvSpec(pip=["beta<1.5", "gamma"]))
    done = subprocess.run(
        [
            str(venv_python(prefix)),
            "-c",
            "import sys, alpha; print(sys.prefix); print(alpha.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(done[0]).resolve() == prefix.resolve()
    assert done[1] == "1.0"
    env = env_at(prefix, engine="venv")
    packages = await pip_engine.list_packages(env)
    assert user_versions(packages) == {"alpha": "1.0", "beta": "1.0", "gamma": "0.1"}
    assert {p.name for p in packages} >= SEEDED
    assert {p.name for p in packages if p.requested} == {"beta", "gamma"}

    before = tree_snapshot(prefix)
    planned = await pip_engine.install(env, ["alphabet"], dry_run=True)
    assert tree_snapshot(prefix) == before
    assert [(c.name, c.action, c.new_version) for c in planned.changes] == [
        ("alphabet", "install", "0.3")
    ]
    done_plan = await pip_engine.install(env, ["alphabet"])
    assert done_plan.changes == planned.changes

    snapshot = tree_snapshot(prefix)
    removal = await pip_engine.uninstall(env, ["gamma"], dry_run=True)
    assert tree_snapshot(prefix) == snapshot
    assert [(c.name, c.action) for c in removal.changes] == [("gamma", "remove")]
    assert (await pip_engine.uninstall(env, ["gamma"])).changes == removal.changes
    assert "gamma" not in {p.name for p in await pip_engine.list_packages(env)}


async def test_pip_failures_are_user_errors(pip_engine: VenvPipEngine, tmp_path: Path) -> None:
    missing_python = tmp_path / "nopython"
    with pytest.raises(InvalidRequest) as caught:
        await pip_engine.create(missing_python, EnvSpec(python="3.99"))
    assert "3.99" in caught.value.message and f"{CURRENT_PYTHON}." in caught.value.message
    assert not missing_python.exists()

    prefix = tmp_path / "env"
    await pip_engine.create(prefix, EnvSpec(pip=["alpha"]))
    env = env_at(prefix, engine="venv")
    before = tree_snapshot(prefix)
    with pytest.raises(PackagesNotFound) as not_found:
        await pip_engine.install(env, ["no-such-pkg", "zzz-missing"])
    assert not_found.value.names == ["no-such-pkg", "zzz-missing"]
    with pytest.raises(Unsatisfiable) as conflict:
        await pip_engine.install(env, ["gamma", "alpha>=2"])
    assert not isinstance(conflict.value, PackagesNotFound)
    assert "gamma" in conflict.value.message and "alpha" in conflict.value.message
    assert "Traceback" not in conflict.value.message
    assert tree_snapshot(prefix) == before


async def test_pip_lock_round_trip(pip_engine: VenvPipEngine, tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    await pip_engine.create(prefix, EnvSpec(pip=["gamma"]))
    original = await pip_engine.list_packages(env_at(prefix, engine="venv"))

    lock = await pip_engine.export(env_at(prefix, engine="venv"), "lock")
    # pip and setuptools come from ensurepip, not the wheelhouse: no hash for them,
    # so the lock pins versions only and says so.
    assert "hashes: none" in lock
    _, pins = parse_lock(lock)
    assert {p.name for p in pins} == {p.name for p in original}

    from_lock = tmp_path / "from-lock"
    await pip_engine.create_from_lock(from_lock, lock)
    packages = await pip_engine.list_packages(env_at(from_lock, engine="venv"))
    assert [(p.name, p.version) for p in packages] == [(p.name, p.version) for p in original]


async def test_version_and_availability() -> None:
    assert VenvPipEngine.is_available()
    version = VenvPipEngine().version()
    assert version is not None and version.split(".")[0].isdigit()
