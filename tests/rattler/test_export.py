"""Export formats, and rebuilding environments from them (yml and lock round trips)."""

from __future__ import annotations

import pytest
import pytest_asyncio
import yaml
from rattler.explicit_environment import ExplicitEnvironmentSpec

from jupyter_env_manager.core.errors import InvalidRequest, PackagesNotFound
from jupyter_env_manager.core.models import EnvSpec

from .conftest import pip_spec
from .helpers import installed_records, installed_versions


@pytest_asyncio.fixture
async def full_env(engine, envs_dir, wheels, as_env):
    prefix = envs_dir / "full"
    await engine.create(
        prefix,
        EnvSpec(conda=["python", "beta", "gamma>=1.5", "zeta"], pip=[pip_spec(wheels["1.2"])]),
    )
    return as_env(prefix)


def _spec_from_yml(text: str) -> EnvSpec:
    document = yaml.safe_load(text)
    conda = [d for d in document["dependencies"] if isinstance(d, str)]
    pip = [p for d in document["dependencies"] if isinstance(d, dict) for p in d["pip"]]
    return EnvSpec(name=document["name"], conda=conda, pip=pip, channels=document["channels"])


async def test_yml_pins_every_package_and_pip(engine, full_env, channel_url):
    document = yaml.safe_load(await engine.export(full_env, "yml"))
    assert document["name"] == "full"
    assert document["channels"] == [channel_url.rstrip("/")]
    records = installed_records(full_env.prefix)
    expected = sorted(f"{r['name']}={r['version']}={r['build']}" for r in records.values())
    conda = [d for d in document["dependencies"] if isinstance(d, str)]
    assert conda == expected
    assert document["dependencies"][-1] == {"pip": [pip_spec_from(full_env)]}


def pip_spec_from(env) -> str:
    dist = next(env.prefix.glob("lib/python*/site-packages/tiny_pkg-1.2.dist-info"))
    import json

    url = json.loads((dist / "direct_url.json").read_text())["url"]
    return f"tiny-pkg @ {url}"


async def test_no_builds_has_versions_only(engine, full_env):
    document = yaml.safe_load(await engine.export(full_env, "no-builds"))
    conda = [d for d in document["dependencies"] if isinstance(d, str)]
    versions = installed_versions(full_env.prefix)
    assert conda == [f"{n}={versions[n]}" for n in sorted(versions)]


async def test_from_history_lists_only_what_was_asked(engine, full_env, wheels):
    document = yaml.safe_load(await engine.export(full_env, "from-history"))
    assert document["dependencies"] == [
        "python",
        "beta",
        "gamma>=1.5",
        "zeta",
        {"pip": [pip_spec(wheels["1.2"])]},
    ]
    await engine.install(full_env, ["delta"])
    await engine.uninstall(full_env, ["zeta"])
    document = yaml.safe_load(await engine.export(full_env, "from-history"))
    assert [d for d in document["dependencies"] if isinstance(d, str)] == [
        "python",
        "beta",
        "gamma>=1.5",
        "delta",
    ]


async def test_requirements_lists_python_distributions(engine, full_env, wheels):
    text = await engine.export(full_env, "requirements")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    # zeta is a conda package that ships a Python distribution; alpha/beta are not.
    assert lines == [pip_spec(wheels["1.2"]), "zeta==0.5"]
    assert "omitted" in text


async def test_unknown_format_is_refused(engine, full_env):
    with pytest.raises(InvalidRequest, match="yml"):
        await engine.export(full_env, "toml")


async def test_yml_round_trip_gives_the_same_packages(engine, full_env, envs_dir, as_env):
    spec = _spec_from_yml(await engine.export(full_env, "yml"))
    copy = envs_dir / "from-yml"
    await engine.create(copy, spec)
    original = await engine.list_packages(full_env)
    rebuilt = await engine.list_packages(as_env(copy))
    key = [(p.name, p.version, p.build, p.source, p.url) for p in original]
    assert [(p.name, p.version, p.build, p.source, p.url) for p in rebuilt] == key


async def test_from_history_round_trip(engine, full_env, envs_dir):
    spec = _spec_from_yml(await engine.export(full_env, "from-history"))
    copy = envs_dir / "from-history"
    await engine.create(copy, spec)
    assert installed_versions(copy) == installed_versions(full_env.prefix)


async def test_lock_is_explicit_and_rebuilds_identical_records(engine, full_env, envs_dir, as_env):
    text = await engine.export(full_env, "lock")
    assert f"# platform: {engine.platform}" in text
    urls = [line for line in text.splitlines() if line and not line.startswith(("#", "@"))]
    records = installed_records(full_env.prefix)
    assert sorted(urls) == sorted(f"{r['url']}#sha256:{r['sha256']}" for r in records.values())
    # rattler's own explicit-file parser (what pixi/conda-lock users rely on) reads it.
    parsed = ExplicitEnvironmentSpec.from_str(text)
    assert str(parsed.platform) == engine.platform
    assert sorted(p.url for p in parsed.packages) == sorted(urls)

    copy = envs_dir / "from-lock"
    await engine.create_from_lock(copy, text)
    strip = {"extracted_package_dir", "link", "files", "paths_data", "requested_specs"}
    rebuilt = installed_records(copy)
    assert {n: {k: v for k, v in r.items() if k not in strip} for n, r in rebuilt.items()} == {
        n: {k: v for k, v in r.items() if k not in strip} for n, r in records.items()
    }
    assert await engine.export(as_env(copy), "from-history") == (
        (await engine.export(full_env, "from-history")).replace("name: full", "name: from-lock")
    )
    pip = [
        (p.name, p.version) for p in await engine.list_packages(as_env(copy)) if p.source == "pypi"
    ]
    assert pip == [("tiny-pkg", "1.2")]


async def test_lock_for_another_platform_is_refused(engine, full_env, envs_dir):
    text = await engine.export(full_env, "lock")
    other = "osx-arm64" if engine.platform != "osx-arm64" else "linux-64"
    foreign = text.replace(f"# platform: {engine.platform}", f"# platform: {other}")
    with pytest.raises(InvalidRequest, match=other):
        await engine.create_from_lock(envs_dir / "foreign", foreign)
    assert not (envs_dir / "foreign").exists()


@pytest.mark.parametrize(
    "lock, message",
    [
        ("", "empty"),
        ("alpha=1.0\n", "@EXPLICIT"),
        ("@EXPLICIT\n", "no packages"),
        ("@EXPLICIT\nnot-a-url\n", "not a package URL"),
        ("@EXPLICIT\nfile:///c/noarch/a-1-0.tar.bz2#sha256:xyz\n", "neither"),
        ("# requested: not json\n@EXPLICIT\nfile:///c/noarch/a-1-0.tar.bz2\n", "JSON"),
    ],
)
async def test_malformed_locks_are_invalid_requests(engine, envs_dir, lock, message):
    with pytest.raises(InvalidRequest, match=message):
        await engine.create_from_lock(envs_dir / "bad", lock)
    assert not (envs_dir / "bad").exists()


async def test_lock_hash_mismatch_and_missing_package(engine, full_env, envs_dir):
    text = await engine.export(full_env, "lock")
    alpha = next(line for line in text.splitlines() if "/alpha-" in line)
    tampered = text.replace(alpha, alpha.split("#sha256:")[0] + "#sha256:" + "0" * 64)
    with pytest.raises(InvalidRequest, match="does not match the hash"):
        await engine.create_from_lock(envs_dir / "tampered", tampered)
    ghost = text.replace(alpha, alpha.replace("/alpha-1.0-", "/alpha-9.9-"))
    with pytest.raises(PackagesNotFound, match="alpha-9.9"):
        await engine.create_from_lock(envs_dir / "ghost", ghost)
    assert sorted(p.name for p in envs_dir.iterdir()) == ["full"]
