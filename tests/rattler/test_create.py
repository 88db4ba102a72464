"""Creating environments with the rattler engine from the local test channel."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from jupyter_env_manager.core.conda_prefix import read_history
from jupyter_env_manager.core.engines.rattler_engine import RattlerEngine
from jupyter_env_manager.core.errors import (
    EnvironmentExists,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from jupyter_env_manager.core.models import EnvSpec, ProgressEvent

from .channel_builder import ACTIVATE_VARIABLE
from .conftest import pip_spec
from .helpers import installed_records, installed_versions


async def test_create_solves_dependencies_into_a_valid_conda_prefix(engine, envs_dir, channel_url):
    prefix = envs_dir / "web"
    events: list[ProgressEvent] = []
    await engine.create(prefix, EnvSpec(conda=["beta"], channels=[channel_url]), events.append)

    # beta needs alpha <2: the solver must pick alpha 1.0 although 2.0 is newer.
    assert installed_versions(prefix) == {"alpha": "1.0", "beta": "1.0"}
    records = installed_records(prefix)
    for record in records.values():
        # What conda itself needs in a record to list and remove the package.
        assert record["url"].startswith(channel_url)
        assert len(record["sha256"]) == 64
        assert record["files"]
        assert all((prefix / f).is_file() for f in record["files"])
    assert (prefix / "share" / "alpha" / "VERSION").read_text() == "alpha 1.0\n"
    history = (prefix / "conda-meta" / "history").read_text()
    assert history.startswith("==> ")
    assert "# update specs: ['beta']" in history
    assert "+" in history and "::alpha-1.0-" in history
    stages = {e.stage for e in events}
    assert {"solve", "link"} <= stages
    assert {e.package for e in events if e.stage == "link"} >= {"alpha", "beta"}
    assert [e.fraction for e in events if e.fraction is not None][-1] == 1.0


async def test_no_staging_folder_or_staging_path_is_left(engine, envs_dir):
    prefix = envs_dir / "scripts"
    await engine.create(prefix, EnvSpec(conda=["scripty"]))
    assert sorted(p.name for p in envs_dir.iterdir()) == ["scripts"]
    # The script's shebang held the prefix placeholder: it must name the final
    # prefix (not the staging folder it was linked into), and run.
    script = prefix / "bin" / "scripty"
    assert script.read_text().splitlines()[0] == f"#!{prefix}/bin/python"
    out = subprocess.run([str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(prefix)
    for path in prefix.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert b".partial-" not in path.read_bytes(), path


async def test_python_spec_and_working_interpreter(engine, envs_dir):
    prefix = envs_dir / "py"
    major_minor = ".".join(map(str, os.sys.version_info[:2]))
    await engine.create(prefix, EnvSpec(python=major_minor, conda=["zeta"]))
    assert installed_versions(prefix)["python"].startswith(major_minor)
    # noarch: python files were relocated into this Python's site-packages.
    out = subprocess.run(
        [
            str(prefix / "bin" / "python"),
            "-c",
            "import sys, zeta; print(sys.prefix, zeta.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [str(prefix), "0.5"]
    assert read_history(prefix).conda == {"zeta": "zeta", "python": f"python={major_minor}"}


async def test_activate_script_exports_its_variable(engine, envs_dir):
    prefix = envs_dir / "act"
    await engine.create(prefix, EnvSpec(conda=["activator"]))
    script = prefix / "etc" / "conda" / "activate.d" / "activator.sh"
    assert script.is_file()
    out = subprocess.run(
        ["bash", "-c", f'. "{script}" && printf %s "${ACTIVATE_VARIABLE}"'],
        env={**os.environ, "CONDA_PREFIX": str(prefix)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"{prefix}/share/activator"


async def test_create_with_pip_packages(engine, envs_dir, wheels):
    prefix = envs_dir / "withpip"
    requirement = pip_spec(wheels["1.2"])
    await engine.create(prefix, EnvSpec(conda=["python"], pip=[requirement]))
    packages = {(p.name, p.source): p for p in await engine.list_packages(_env(prefix))}
    assert packages[("tiny-pkg", "pypi")].version == "1.2"
    assert packages[("tiny-pkg", "pypi")].requested
    assert packages[("python", "conda")].requested
    assert read_history(prefix).pip == {"tiny-pkg": requirement}
    out = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", "import tiny_pkg; print(tiny_pkg.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "1.2"


async def test_pip_without_python_is_refused_before_anything_happens(engine, envs_dir, wheels):
    prefix = envs_dir / "nopy"
    with pytest.raises(InvalidRequest, match="python"):
        await engine.create(prefix, EnvSpec(conda=["alpha"], pip=[pip_spec(wheels["1.2"])]))
    assert not prefix.exists()


async def test_failing_pip_step_removes_the_new_prefix(engine, envs_dir, tmp_path):
    prefix = envs_dir / "badpip"
    missing_wheel = tmp_path / "missing-1.0-py3-none-any.whl"
    with pytest.raises(Exception) as info:
        await engine.create(
            prefix, EnvSpec(conda=["python"], pip=[f"missing @ {missing_wheel.as_uri()}"])
        )
    assert "missing" in str(info.value)
    assert not prefix.exists()
    assert list(envs_dir.iterdir()) == []


async def test_unknown_packages_are_named(engine, envs_dir):
    prefix = envs_dir / "unknown"
    with pytest.raises(PackagesNotFound) as info:
        await engine.create(prefix, EnvSpec(conda=["alpha", "nosuchpkg", "otherghost>=1"]))
    assert info.value.names == ["nosuchpkg", "otherghost"]
    assert "nosuchpkg" in info.value.message and "otherghost" in info.value.message
    assert info.value.status == 422
    assert not prefix.exists()
    assert list(envs_dir.iterdir()) == []


async def test_unsatisfiable_carries_the_solver_explanation(engine, envs_dir):
    prefix = envs_dir / "conflict"
    with pytest.raises(Unsatisfiable) as info:
        await engine.create(prefix, EnvSpec(conda=["beta", "alpha>=2"]))
    assert not isinstance(info.value, PackagesNotFound)
    message = info.value.message
    # The solver's own explanation: beta's requirement is what cannot be met.
    assert message.startswith("Cannot solve the request")
    assert "beta 1.0 would require" in message and "alpha <2" in message
    assert not prefix.exists()


async def test_no_version_matches_is_unsatisfiable(engine, envs_dir):
    with pytest.raises(Unsatisfiable, match="alpha >=3"):
        await engine.create(envs_dir / "v3", EnvSpec(conda=["alpha>=3"]))


@pytest.mark.parametrize("bad", ["alpha>=", "al pha", "alpha[", "", "!!!"])
async def test_malformed_specs_are_invalid_requests(engine, envs_dir, bad):
    prefix = envs_dir / "bad"
    with pytest.raises(InvalidRequest) as info:
        await engine.create(prefix, EnvSpec(conda=["beta", bad]))
    assert repr(bad) in info.value.message
    assert not prefix.exists()


@pytest.mark.parametrize("bad", ["not a requirement!!", "--index-url=http://evil", ""])
async def test_malformed_pip_requirements_are_invalid_requests(engine, envs_dir, bad):
    prefix = envs_dir / "badpip"
    with pytest.raises(InvalidRequest):
        await engine.create(prefix, EnvSpec(conda=["python"], pip=[bad]))
    assert not prefix.exists()


async def test_existing_prefix_is_refused(engine, envs_dir):
    prefix = envs_dir / "taken"
    prefix.mkdir()
    (prefix / "keep.txt").write_text("mine")
    with pytest.raises(EnvironmentExists):
        await engine.create(prefix, EnvSpec(conda=["alpha"]))
    assert [p.name for p in prefix.iterdir()] == ["keep.txt"]


async def test_missing_local_channel_is_an_invalid_request(cache_dir, envs_dir, tmp_path):
    engine = RattlerEngine(channels=[(tmp_path / "nowhere").as_uri()], cache_dir=cache_dir)
    with pytest.raises(InvalidRequest, match="does not exist"):
        await engine.create(envs_dir / "x", EnvSpec(conda=["alpha"]))
    assert list(envs_dir.iterdir()) == []


async def test_spec_channels_override_engine_channels(cache_dir, channel_url, envs_dir, tmp_path):
    engine = RattlerEngine(channels=[(tmp_path / "nowhere").as_uri()], cache_dir=cache_dir)
    prefix = envs_dir / "chan"
    await engine.create(prefix, EnvSpec(conda=["gamma=1.5"], channels=[channel_url]))
    assert installed_versions(prefix) == {"gamma": "1.5"}


async def test_clone_copies_exact_records(engine, envs_dir, wheels, as_env):
    source = envs_dir / "src"
    await engine.create(
        source, EnvSpec(conda=["python", "gamma=1.0", "beta"], pip=[pip_spec(wheels["1.2"])])
    )
    target = envs_dir / "copy"
    await engine.clone(as_env(source), target)
    strip = ("extracted_package_dir", "link", "files", "paths_data", "requested_specs")

    def comparable(prefix: Path) -> dict:
        return {
            name: {k: v for k, v in rec.items() if k not in strip}
            for name, rec in installed_records(prefix).items()
        }

    assert comparable(target) == comparable(source)
    assert installed_versions(target)["gamma"] == "1.0"
    assert read_history(target).conda == read_history(source).conda
    pip = [p for p in await engine.list_packages(as_env(target)) if p.source == "pypi"]
    assert [(p.name, p.version) for p in pip] == [("tiny-pkg", "1.2")]


def _env(prefix: Path):
    from jupyter_env_manager.core.models import Environment

    return Environment(name=prefix.name, prefix=prefix, kind="conda", engine="rattler")


def test_engine_identity_and_version():
    import rattler

    assert RattlerEngine.is_available()
    assert RattlerEngine.name == "rattler" and RattlerEngine.kind == "conda"
    assert RattlerEngine(channels=["file:///x"]).version() == rattler.__version__
    assert json.loads(json.dumps(RattlerEngine().channels)) == ["conda-forge"]
