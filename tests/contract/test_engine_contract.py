"""One behaviour contract, run on every engine.

rattler and uv run here for real (local channel, local wheelhouse). conda runs it
for real too: the `real_conda` fixture installs conda 26.7.1 as a Miniforge-like
base, and the engine finds it the way it finds a user's conda (condabin on PATH
after `conda init`). mamba and micromamba run the same contract when they are on
PATH; they cannot be installed on this project's machines (no conda channel is
reachable, and neither is on PyPI), so there they are skipped.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from jupyter_env_manager.core.engines.base import Engine
from jupyter_env_manager.core.models import EnvSpec
from jupyter_env_manager.core.site_packages import python_version


@dataclass
class Case:
    engine: Engine
    spec: EnvSpec  # pins `package` at `old`
    package: str
    old: str
    new: str


def use_real_conda(real_conda, monkeypatch, channel: str) -> None:
    """This process's environment becomes that of a shell where conda is initialised,
    with `channel` as conda's configured channel (conda reads CONDA_CHANNELS like
    `channels:` in .condarc), as the rattler engine gets it as its default."""
    wanted = {**real_conda.environ(), "CONDA_CHANNELS": channel}
    for key in set(os.environ) - set(wanted):
        monkeypatch.delenv(key)
    for key, value in wanted.items():
        monkeypatch.setenv(key, value)


def _case(name: str, channel: str, wheelhouse: Path, cache: Path, request) -> Case:
    if name == "rattler":
        from jupyter_env_manager.core.engines.rattler_engine import RattlerEngine

        engine = RattlerEngine(channels=[channel], cache_dir=cache)
        return Case(engine, EnvSpec(conda=["alpha=1.0"], channels=[channel]), "alpha", "1.0", "2.0")
    if name == "uv":
        from jupyter_env_manager.core.engines.uv_engine import UvEngine

        engine = UvEngine(find_links=[str(wheelhouse)], offline=True, cache_dir=cache)
        return Case(engine, EnvSpec(pip=["tiny-pkg==1.2"]), "tiny-pkg", "1.2", "1.3")
    if name == "conda":
        real_conda = request.getfixturevalue("real_conda")
        use_real_conda(real_conda, request.getfixturevalue("monkeypatch"), channel)
    elif shutil.which(name) is None:
        pytest.skip(
            f"{name} not on PATH: it cannot be installed here (no conda channel reachable, "
            "not on PyPI)"
        )
    from jupyter_env_manager.core.engines.conda_cli import CONDA_CLI_ENGINES

    engine = CONDA_CLI_ENGINES[name]()
    if name == "conda":
        assert Path(engine.executable) == real_conda.exe
    return Case(engine, EnvSpec(conda=["alpha=1.0"], channels=[channel]), "alpha", "1.0", "2.0")


@pytest.fixture(params=["rattler", "uv", "conda", "mamba", "micromamba"])
def case(request, local_channel, wheelhouse, tmp_path) -> Case:
    return _case(request.param, local_channel, wheelhouse, tmp_path / "cache", request)


def _env(case: Case, prefix: Path):
    from jupyter_env_manager.core.models import Environment

    return Environment(
        name=prefix.name,
        prefix=prefix,
        kind=case.engine.kind,
        engine=case.engine.name,
        python_version=python_version(prefix),
    )


def _versions(packages) -> dict[str, str]:
    return {p.name: p.version for p in packages}


def _tree(prefix: Path) -> set[str]:
    return {str(p.relative_to(prefix)) for p in prefix.rglob("*")}


async def test_engine_contract(case: Case, tmp_path: Path):
    engine, prefix = case.engine, tmp_path / "envs" / "contract"
    prefix.parent.mkdir()

    await engine.create(prefix, case.spec)
    env = _env(case, prefix)
    installed = await engine.list_packages(env)
    assert _versions(installed)[case.package] == case.old
    assert next(p for p in installed if p.name == case.package).requested

    before = _tree(prefix)
    plan = await engine.update(env, [case.package], dry_run=True)
    assert plan.dry_run
    assert [(c.name, c.old_version, c.new_version) for c in plan.changes] == [
        (case.package, case.old, case.new)
    ]
    assert _tree(prefix) == before, "a dry run changed the environment"

    done = await engine.update(env, [case.package])
    assert [c.name for c in done.changes] == [case.package]
    assert _versions(await engine.list_packages(env))[case.package] == case.new

    exported = yaml.safe_load(await engine.export(env, "yml"))
    assert case.package in yaml.safe_dump(exported["dependencies"])
    history = yaml.safe_load(await engine.export(env, "from-history"))
    assert case.package in yaml.safe_dump(history["dependencies"])

    lock = await engine.export(env, "lock")
    rebuilt = tmp_path / "envs" / "from-lock"
    await engine.create_from_lock(rebuilt, lock)
    copy = tmp_path / "envs" / "copy"
    await engine.clone(env, copy)
    expected = _versions(await engine.list_packages(env))
    assert _versions(await engine.list_packages(_env(case, rebuilt))) == expected
    assert _versions(await engine.list_packages(_env(case, copy))) == expected

    plan = await engine.uninstall(env, [case.package])
    assert case.package in [c.name for c in plan.changes]
    assert case.package not in _versions(await engine.list_packages(env))

    await engine.remove(env)
    assert not prefix.exists()
