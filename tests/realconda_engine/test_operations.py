"""Every operation of the conda engine, run on the real conda 26.7.1 against a local
`file://` channel, checked against what conda itself then reports (`conda list --json`,
`conda env list --json`)."""

from __future__ import annotations

import json

import yaml

from jupyter_env_manager.core.conda_export import parse_lock
from jupyter_env_manager.core.models import EnvSpec
from jupyter_env_manager.core.specfiles import parse_environment_yml

from .conftest import conda, conda_list, env_at, versions


def plan_rows(plan):
    return [(c.name, c.action, c.old_version, c.new_version) for c in plan.changes]


async def test_create_from_specs_solves_dependencies(engine, conda_channel, tmp_path):
    prefix = tmp_path / "envs" / "spec"
    await engine.create(prefix, EnvSpec(conda=["beta"], channels=[conda_channel]))
    assert versions(prefix) == {"alpha": "1.0", "beta": "1.0"}
    listed = await engine.list_packages(env_at(prefix))
    assert [(p.name, p.version, p.build, p.channel) for p in listed] == conda_list(prefix)
    assert [p.name for p in listed if p.requested] == ["beta"]


async def test_create_from_environment_yml(engine, conda_channel, tmp_path):
    spec = parse_environment_yml(
        f"name: fromyml\nchannels:\n  - {conda_channel}\ndependencies:\n  - gamma=1.5\n  - delta\n"
    )
    prefix = tmp_path / "envs" / "fromyml"
    await engine.create(prefix, spec)
    assert versions(prefix) == {"delta": "1.0", "gamma": "1.5"}


async def test_plans_list_what_conda_then_does(engine, tmp_path):
    prefix = tmp_path / "envs" / "plans"
    await engine.create(prefix, EnvSpec(conda=["gamma=1.0"]))
    env = env_at(prefix)

    steps = [
        (lambda dry: engine.install(env, ["delta"], dry_run=dry),
         [("delta", "install", None, "1.0")]),
        (lambda dry: engine.update(env, ["gamma"], dry_run=dry),
         [("gamma", "update", "1.0", "2.0")]),
        (lambda dry: engine.install(env, ["gamma=1.5"], dry_run=dry),
         [("gamma", "downgrade", "2.0", "1.5")]),
        (lambda dry: engine.uninstall(env, ["delta"], dry_run=dry),
         [("delta", "remove", "1.0", None)]),
    ]  # fmt: skip
    for operate, expected in steps:
        before = conda_list(prefix)
        preview = await operate(True)
        assert preview.dry_run and plan_rows(preview) == expected
        assert conda_list(prefix) == before, "a dry run changed the environment"
        done = await operate(False)
        assert not done.dry_run and plan_rows(done) == expected
        after = {name: version for name, version, _, _ in conda_list(prefix)}
        for name, action, _old, new in expected:
            assert after.get(name) == new, (action, name)
    assert versions(prefix) == {"gamma": "1.5"}


async def test_nothing_to_do_is_an_empty_plan(engine, tmp_path):
    prefix = tmp_path / "envs" / "same"
    await engine.create(prefix, EnvSpec(conda=["alpha=2.0"]))
    plan = await engine.install(env_at(prefix), ["alpha"], dry_run=True)
    assert plan.changes == ()


async def test_clone_and_remove_env(engine, conda_shell, tmp_path):
    source = tmp_path / "envs" / "source"
    await engine.create(source, EnvSpec(conda=["delta", "alpha=1.0"]))
    copy = tmp_path / "envs" / "copy"
    await engine.clone(env_at(source), copy)
    assert conda_list(copy) == conda_list(source)

    await engine.remove(env_at(copy))
    assert not copy.exists()
    listed = json.loads(conda("env", "list", "--json").stdout)["envs"]
    assert str(copy) not in listed
    assert conda_list(source)  # the source is untouched


async def test_exports_in_every_format(engine, tmp_path):
    prefix = tmp_path / "envs" / "exported"
    await engine.create(prefix, EnvSpec(conda=["gamma=1.5", "zeta", "alpha"]))
    env = env_at(prefix)
    rows = conda_list(prefix)

    yml = yaml.safe_load(await engine.export(env, "yml"))
    assert yml["name"] == "exported" and "prefix" not in yml
    assert sorted(yml["dependencies"]) == sorted(f"{n}={v}={b}" for n, v, b, _ in rows)

    no_builds = yaml.safe_load(await engine.export(env, "no-builds"))
    assert sorted(no_builds["dependencies"]) == sorted(f"{n}={v}" for n, v, _, _ in rows)

    history = yaml.safe_load(await engine.export(env, "from-history"))
    assert sorted(history["dependencies"]) == ["alpha", "gamma=1.5", "zeta"]

    requirements = await engine.export(env, "requirements")
    assert [line for line in requirements.splitlines() if not line.startswith("#")] == ["zeta==0.5"]

    lock = parse_lock(await engine.export(env, "lock"))
    assert sorted(e.filename for e in lock.entries) == sorted(
        f"{n}-{v}-{b}.tar.bz2" for n, v, b, _ in rows
    )
    assert all(entry.md5 for entry in lock.entries)


async def test_create_from_our_lock_is_identical(engine, tmp_path):
    prefix = tmp_path / "envs" / "locked"
    await engine.create(prefix, EnvSpec(conda=["delta", "gamma=1.0", "scripty"]))
    lock = await engine.export(env_at(prefix), "lock")
    rebuilt = tmp_path / "envs" / "rebuilt"
    await engine.create_from_lock(rebuilt, lock)
    assert conda_list(rebuilt) == conda_list(prefix)


async def test_search_on_the_local_channel(engine, conda_channel):
    found = await engine.search("amm", [conda_channel])
    assert [(p.name, p.version) for p in found] == [
        ("gamma", "1.0"),
        ("gamma", "1.5"),
        ("gamma", "2.0"),
    ]
    assert all(p.channel and p.url.startswith(conda_channel) for p in found)
    assert await engine.search("no-such-thing-here") == []
    pinned = await engine.search("alpha>=2")
    assert [(p.name, p.version) for p in pinned] == [("alpha", "2.0")]
