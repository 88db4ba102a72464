"""install / update / uninstall on an existing prefix, dry runs and history."""

from __future__ import annotations

import pytest
import pytest_asyncio

from jupyter_env_manager.core.conda_prefix import read_history
from jupyter_env_manager.core.errors import InvalidRequest, PackagesNotFound, Unsatisfiable
from jupyter_env_manager.core.models import EnvSpec, PackageChange

from .conftest import pip_spec
from .helpers import installed_versions, tree_snapshot


@pytest_asyncio.fixture
async def base_env(engine, envs_dir, as_env):
    """python + beta (-> alpha 1.0) + gamma 1.0, gamma pinned in history."""
    prefix = envs_dir / "work"
    await engine.create(prefix, EnvSpec(conda=["python", "beta", "gamma=1.0"]))
    return as_env(prefix)


def _changes(plan) -> set[tuple]:
    return {(c.name, c.action, c.source, c.old_version, c.new_version) for c in plan.changes}


async def test_install_adds_package_and_keeps_the_rest(engine, base_env):
    before = installed_versions(base_env.prefix)
    plan = await engine.install(base_env, ["delta"])
    assert not plan.dry_run
    assert _changes(plan) == {("delta", "install", "conda", None, "1.0")}
    after = installed_versions(base_env.prefix)
    assert after == {**before, "delta": "1.0"}
    assert (base_env.prefix / "share" / "delta" / "VERSION").is_file()
    assert read_history(base_env.prefix).conda["delta"] == "delta"


async def test_install_dry_run_changes_nothing(engine, base_env):
    before = tree_snapshot(base_env.prefix)
    plan = await engine.install(base_env, ["gamma>=2", "delta"], dry_run=True)
    assert plan.dry_run
    assert _changes(plan) == {
        ("gamma", "update", "conda", "1.0", "2.0"),
        ("delta", "install", "conda", None, "1.0"),
    }
    assert tree_snapshot(base_env.prefix) == before


async def test_install_changes_version_and_records_the_new_request(engine, base_env):
    plan = await engine.install(base_env, ["gamma>=2"])
    assert _changes(plan) == {("gamma", "update", "conda", "1.0", "2.0")}
    assert installed_versions(base_env.prefix)["gamma"] == "2.0"
    assert read_history(base_env.prefix).conda["gamma"] == "gamma>=2"
    plan = await engine.install(base_env, ["gamma=1.5"])
    assert _changes(plan) == {("gamma", "downgrade", "conda", "2.0", "1.5")}


async def test_install_conflict_is_unsatisfiable_and_changes_nothing(engine, base_env):
    before = tree_snapshot(base_env.prefix)
    with pytest.raises(Unsatisfiable) as info:
        await engine.install(base_env, ["alpha>=2"])
    assert "alpha" in info.value.message
    with pytest.raises(PackagesNotFound) as missing:
        await engine.install(base_env, ["ghost"])
    assert missing.value.names == ["ghost"]
    with pytest.raises(InvalidRequest):
        await engine.install(base_env, ["gamma>="])
    with pytest.raises(InvalidRequest):
        await engine.install(base_env, [])
    assert tree_snapshot(base_env.prefix) == before


async def test_pip_install_plan_and_dry_run(engine, base_env, wheels):
    before = tree_snapshot(base_env.prefix)
    dry = await engine.install(base_env, [], pip=[pip_spec(wheels["1.2"])], dry_run=True)
    assert _changes(dry) == {("tiny-pkg", "install", "pypi", None, "1.2")}
    assert tree_snapshot(base_env.prefix) == before

    plan = await engine.install(base_env, [], pip=[pip_spec(wheels["1.2"])])
    assert _changes(plan) == {("tiny-pkg", "install", "pypi", None, "1.2")}
    upgrade = await engine.install(base_env, [], pip=[pip_spec(wheels["1.3"])], dry_run=True)
    assert _changes(upgrade) == {("tiny-pkg", "update", "pypi", "1.2", "1.3")}
    plan = await engine.install(base_env, [], pip=[pip_spec(wheels["1.3"])])
    assert _changes(plan) == {("tiny-pkg", "update", "pypi", "1.2", "1.3")}
    pip = [p for p in await engine.list_packages(base_env) if p.source == "pypi"]
    assert [(p.name, p.version, p.requested) for p in pip] == [("tiny-pkg", "1.3", True)]


async def test_update_named_package_moves_only_it(engine, base_env):
    dry = await engine.update(base_env, ["gamma"], dry_run=True)
    assert _changes(dry) == {("gamma", "update", "conda", "1.0", "2.0")}
    assert installed_versions(base_env.prefix)["gamma"] == "1.0"

    plan = await engine.update(base_env, ["gamma"])
    assert _changes(plan) == {("gamma", "update", "conda", "1.0", "2.0")}
    assert installed_versions(base_env.prefix) == {
        "python": installed_versions(base_env.prefix)["python"],
        "alpha": "1.0",
        "beta": "1.0",
        "gamma": "2.0",
    }
    # The old request `gamma=1.0` no longer holds; from-history must not bring 1.0 back.
    assert read_history(base_env.prefix).conda["gamma"] == "gamma"


async def test_update_all_respects_requested_constraints(engine, base_env):
    # gamma=1.0 was asked for and alpha is held below 2 by beta: nothing can move.
    plan = await engine.update(base_env, None)
    assert plan.changes == ()
    await engine.install(base_env, ["gamma>=1"])  # relax the user's pin
    await engine.install(base_env, ["gamma=1.0"])
    history = read_history(base_env.prefix)
    assert history.conda["gamma"] == "gamma=1.0"


async def test_update_unknown_name_is_refused(engine, base_env):
    with pytest.raises(InvalidRequest, match="delta"):
        await engine.update(base_env, ["delta"])


async def test_uninstall_removes_dependents_like_conda(engine, base_env):
    before = tree_snapshot(base_env.prefix)
    dry = await engine.uninstall(base_env, ["alpha"], dry_run=True)
    assert _changes(dry) == {
        ("alpha", "remove", "conda", "1.0", None),
        ("beta", "remove", "conda", "1.0", None),
    }
    assert tree_snapshot(base_env.prefix) == before

    plan = await engine.uninstall(base_env, ["alpha"])
    assert plan.changes == dry.changes
    assert set(installed_versions(base_env.prefix)) == {"python", "gamma"}
    assert not (base_env.prefix / "share" / "beta").exists()
    history = read_history(base_env.prefix)
    # beta was requested; it is gone, so from-history must not list it any more.
    assert set(history.conda) == {"python", "gamma"}
    text = (base_env.prefix / "conda-meta" / "history").read_text()
    assert "# remove specs: ['alpha', 'beta']" in text
    assert "-file://" in text


async def test_uninstall_pip_package(engine, base_env, wheels):
    await engine.install(base_env, [], pip=[pip_spec(wheels["1.2"])])
    plan = await engine.uninstall(base_env, ["tiny_pkg"])
    assert _changes(plan) == {("tiny-pkg", "remove", "pypi", "1.2", None)}
    assert not [p for p in await engine.list_packages(base_env) if p.source == "pypi"]
    assert read_history(base_env.prefix).pip == {}


async def test_uninstall_unknown_is_refused_without_changes(engine, base_env):
    before = tree_snapshot(base_env.prefix)
    with pytest.raises(InvalidRequest, match="ghost"):
        await engine.uninstall(base_env, ["gamma", "ghost"])
    assert tree_snapshot(base_env.prefix) == before


async def test_list_packages_marks_requested(engine, base_env):
    packages = await engine.list_packages(base_env)
    assert [p.name for p in packages] == sorted(p.name for p in packages)
    requested = {p.name for p in packages if p.requested}
    assert requested == {"python", "beta", "gamma"}
    alpha = next(p for p in packages if p.name == "alpha")
    assert alpha.source == "conda" and alpha.build and alpha.url.endswith(".tar.bz2")
    assert alpha.channel and alpha.channel.startswith("file://")
    assert len(alpha.sha256) == 64


def test_plan_entries_are_model_objects():
    change = PackageChange("x", "install", "conda", None, "1")
    assert change.to_json()["action"] == "install"
