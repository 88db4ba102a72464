"""The uv engine against a local wheelhouse of tiny real wheels (offline).

Wheelhouse (see conftest): alpha 1.0/2.0, alphabet 0.3, beta 1.0 (alpha>=1.0),
beta 1.5 (alpha>=2.0), gamma 0.1 (alpha<2), delta-tools 3.2.1.
"""

from __future__ import annotations

import asyncio
import platform
import subprocess
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from uvenv_helpers import CURRENT_PYTHON, LocalIndex, env_at, processes_mentioning, tree_snapshot

from jupyter_env_manager.core.engines.pypi_lock import parse_lock
from jupyter_env_manager.core.engines.uv_engine import UvEngine
from jupyter_env_manager.core.engines.venv_state import REQUESTED_FILE, STATE_DIR, venv_python
from jupyter_env_manager.core.errors import (
    EngineFailure,
    EnvironmentExists,
    EnvManagerError,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from jupyter_env_manager.core.models import EnvSpec, ProgressEvent

pytestmark = pytest.mark.asyncio


def versions(packages: list) -> dict[str, str]:
    return {p.name: p.version for p in packages}


def run_in(prefix: Path, code: str) -> str:
    done = subprocess.run(
        [str(venv_python(prefix)), "-c", code], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest_asyncio.fixture
async def made(uv_engine: UvEngine, tmp_path: Path) -> Path:
    """A venv made from `beta<1.5` and `gamma`: alpha 1.0, beta 1.0, gamma 0.1."""
    prefix = tmp_path / "made"
    await uv_engine.create(prefix, EnvSpec(pip=["beta<1.5", "gamma"]))
    return prefix


# ------------------------------------------------------------------ create


async def test_create_makes_a_working_venv_with_the_packages(
    uv_engine: UvEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    events: list[ProgressEvent] = []
    await uv_engine.create(prefix, EnvSpec(pip=["beta<1.5", "gamma"]), progress=events.append)

    assert Path(run_in(prefix, "import sys; print(sys.prefix)")).resolve() == prefix.resolve()
    assert run_in(prefix, "import alpha, beta, gamma; print(alpha.__version__)") == "1.0"
    packages = await uv_engine.list_packages(env_at(prefix))
    assert versions(packages) == {"alpha": "1.0", "beta": "1.0", "gamma": "0.1"}
    assert {p.name for p in packages if p.requested} == {"beta", "gamma"}
    recorded = (prefix / STATE_DIR / REQUESTED_FILE).read_text().splitlines()
    assert [line for line in recorded if not line.startswith("#")] == ["beta<1.5", "gamma"]

    stages = [e.stage for e in events]
    assert stages.index("create") < stages.index("resolve") < stages.index("install")
    assert {e.package for e in events if e.stage == "install"} >= {"alpha", "beta", "gamma"}
    assert any("Creating virtual environment" in e.message for e in events)


async def test_create_with_conda_style_python_spec(uv_engine: UvEngine, tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    spec = EnvSpec(conda=[f"python={CURRENT_PYTHON}", "pip"], pip=["alpha"])
    await uv_engine.create(prefix, spec)
    assert run_in(prefix, "import sys; print('%d.%d' % sys.version_info[:2])") == CURRENT_PYTHON
    assert versions(await uv_engine.list_packages(env_at(prefix))) == {"alpha": "2.0"}


async def test_conda_syntax_is_refused_and_nothing_is_made(
    uv_engine: UvEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(InvalidRequest, match="conda syntax.*'numpy==1.2'"):
        await uv_engine.create(prefix, EnvSpec(conda=["numpy=1.2=py_0"], pip=["alpha"]))
    assert not prefix.exists()


async def test_missing_python_version_names_the_versions_found(
    uv_engine: UvEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(InvalidRequest) as caught:
        await uv_engine.create(prefix, EnvSpec(python="3.99", pip=["alpha"]))
    assert "3.99" in caught.value.message
    assert f"{CURRENT_PYTHON}." in caught.value.message.split("found:")[1]
    assert not prefix.exists()


async def test_unknown_packages_are_all_named(uv_engine: UvEngine, tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(PackagesNotFound) as caught:
        await uv_engine.create(prefix, EnvSpec(pip=["alpha", "no-such-pkg", "zzz-missing"]))
    assert caught.value.names == ["no-such-pkg", "zzz-missing"]
    assert "no-such-pkg" in caught.value.message and "zzz-missing" in caught.value.message
    assert caught.value.status == 422
    assert not prefix.exists()


async def test_conflicting_requirements_explain_the_conflict(
    uv_engine: UvEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(Unsatisfiable) as caught:
        await uv_engine.create(prefix, EnvSpec(pip=["gamma", "alpha>=2"]))
    message = caught.value.message
    assert not isinstance(caught.value, PackagesNotFound)
    assert "gamma" in message and "alpha<2" in message
    assert "Traceback" not in message and "error:" not in message
    assert not prefix.exists()


@pytest.mark.parametrize(
    "bad", ["--index-url=http://evil.example/simple", "numpy=1.26", "two words", ""]
)
async def test_malformed_requirements_are_refused_before_anything_runs(
    uv_engine: UvEngine, tmp_path: Path, bad: str
) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(InvalidRequest) as caught:
        await uv_engine.create(prefix, EnvSpec(pip=[bad]))
    if bad == "numpy=1.26":
        assert "==" in caught.value.message
    assert not prefix.exists()


async def test_existing_prefix_is_left_alone(uv_engine: UvEngine, tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    prefix.mkdir()
    (prefix / "precious.txt").write_text("keep me")
    with pytest.raises(EnvironmentExists):
        await uv_engine.create(prefix, EnvSpec(pip=["alpha"]))
    assert (prefix / "precious.txt").read_text() == "keep me"


# ------------------------------------------------------------------ install / update / uninstall


async def test_install_dry_run_changes_nothing_and_predicts_the_real_plan(
    uv_engine: UvEngine, tmp_path: Path
) -> None:
    prefix = tmp_path / "env"
    await uv_engine.create(prefix, EnvSpec(pip=["beta"]))
    env = env_at(prefix)
    assert versions(await uv_engine.list_packages(env)) == {"alpha": "2.0", "beta": "1.5"}

    before = tree_snapshot(prefix)
    planned = await uv_engine.install(env, ["gamma"], dry_run=True)
    assert tree_snapshot(prefix) == before
    assert planned.dry_run
    # gamma needs alpha<2, and beta 1.5 needs alpha>=2: uv moves both back.
    actions = {c.name: (c.action, c.old_version, c.new_version) for c in planned.changes}
    assert actions == {
        "gamma": ("install", None, "0.1"),
        "alpha": ("downgrade", "2.0", "1.0"),
        "beta": ("downgrade", "1.5", "1.0"),
    }

    done = await uv_engine.install(env, ["gamma"])
    assert not done.dry_run
    assert done.changes == planned.changes
    assert versions(await uv_engine.list_packages(env)) == {
        "alpha": "1.0",
        "beta": "1.0",
        "gamma": "0.1",
    }
    assert {p.name for p in await uv_engine.list_packages(env) if p.requested} == {"beta", "gamma"}


async def test_install_unknown_package_leaves_env_unchanged(
    uv_engine: UvEngine, made: Path
) -> None:
    before = tree_snapshot(made)
    with pytest.raises(PackagesNotFound, match="nothing-like-this"):
        await uv_engine.install(env_at(made), ["nothing-like-this"], pip=["alpha"])
    assert tree_snapshot(made) == before


async def test_update_named_and_all_within_requested_ranges(
    old_wheelhouse: Path, wheelhouse: Path, uv_cache: Path, tmp_path: Path
) -> None:
    # The env is made while only alpha 1.0 and beta 1.0 exist, then new releases appear.
    prefix = tmp_path / "env"
    old = UvEngine(find_links=[str(old_wheelhouse)], offline=True, cache_dir=uv_cache)
    await old.create(prefix, EnvSpec(pip=["beta"]))
    env = env_at(prefix)
    engine = UvEngine(find_links=[str(wheelhouse)], offline=True, cache_dir=uv_cache)

    with pytest.raises(InvalidRequest, match="gamma"):
        await engine.update(env, ["gamma"])

    snapshot = tree_snapshot(prefix)
    planned = await engine.update(env, ["alpha"], dry_run=True)
    assert tree_snapshot(prefix) == snapshot
    assert [(c.name, c.action, c.new_version) for c in planned.changes] == [
        ("alpha", "update", "2.0")
    ]
    await engine.update(env, ["alpha"])
    assert versions(await engine.list_packages(env)) == {"alpha": "2.0", "beta": "1.0"}

    everything = await engine.update(env, None)
    assert [(c.name, c.old_version, c.new_version) for c in everything.changes] == [
        ("beta", "1.0", "1.5")
    ]
    # alpha was a dependency, not a request: updating does not make it requested.
    assert {p.name for p in await engine.list_packages(env) if p.requested} == {"beta"}


async def test_uninstall_dry_run_then_real(uv_engine: UvEngine, made: Path) -> None:
    env = env_at(made)
    before = tree_snapshot(made)
    planned = await uv_engine.uninstall(env, ["Gamma"], dry_run=True)
    assert tree_snapshot(made) == before
    assert [(c.name, c.action, c.old_version) for c in planned.changes] == [
        ("gamma", "remove", "0.1")
    ]
    done = await uv_engine.uninstall(env, ["gamma"])
    assert done.changes == planned.changes
    assert versions(await uv_engine.list_packages(env)) == {"alpha": "1.0", "beta": "1.0"}
    assert (
        "No module named 'gamma'"
        in subprocess.run(
            [str(venv_python(made)), "-c", "import gamma"], capture_output=True, text=True
        ).stderr
    )

    with pytest.raises(InvalidRequest, match="gamma"):
        await uv_engine.uninstall(env, ["gamma"])
    with pytest.raises(InvalidRequest):
        await uv_engine.uninstall(env, ["--all"])


# ------------------------------------------------------------------ search


async def test_search_the_wheelhouse(uv_engine: UvEngine) -> None:
    hits = await uv_engine.search("alph")
    assert [(p.name, p.version) for p in hits] == [("alpha", "2.0"), ("alphabet", "0.3")]
    exact_first = await uv_engine.search("alphabet")
    assert [p.name for p in exact_first] == ["alphabet"]
    assert [p.name for p in await uv_engine.search("Delta_Tools")] == ["delta-tools"]
    assert await uv_engine.search("zzz") == []
    with pytest.raises(InvalidRequest):
        await uv_engine.search("  ")


async def test_search_the_index_project_list_is_cached_on_disk(local_index, tmp_path: Path) -> None:
    cache = tmp_path / "search-cache"
    engine = UvEngine(index_url=local_index.url, search_cache_dir=cache)
    hits = await engine.search("alpha")
    assert [p.name for p in hits] == ["alpha", "alphabet"]
    assert all(p.channel == local_index.url for p in hits)
    # A second engine (a restarted server) reads the cache instead of the index.
    again = UvEngine(index_url=local_index.url, search_cache_dir=cache)
    assert [p.name for p in await again.search("ta")] == ["beta", "delta-tools"]
    assert local_index.requests.count("/simple/") == 1


async def test_search_reads_html_project_lists(wheelhouse: Path, tmp_path: Path) -> None:

    index = LocalIndex(wheelhouse, html_project_list=True)
    try:
        engine = UvEngine(index_url=index.url, search_cache_dir=tmp_path)
        assert [p.name for p in await engine.search("gam")] == ["gamma"]
    finally:
        index.close()


async def test_search_of_a_stalled_index_times_out(hanging_server: str, tmp_path: Path) -> None:
    engine = UvEngine(index_url=hanging_server, search_cache_dir=tmp_path, search_timeout=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EngineFailure, match="did not answer"):
        await engine.search("alpha")
    assert loop.time() - started < 5


# ------------------------------------------------------------------ export / round trips


async def test_requirements_export_round_trip(
    uv_engine: UvEngine, made: Path, tmp_path: Path
) -> None:
    text = await uv_engine.export(env_at(made), "requirements")
    assert text.splitlines() == ["alpha==1.0", "beta==1.0", "gamma==0.1"]
    copy = tmp_path / "copy"
    await uv_engine.create(copy, EnvSpec(pip=text.splitlines()))
    assert versions(await uv_engine.list_packages(env_at(copy))) == versions(
        await uv_engine.list_packages(env_at(made))
    )


async def test_yml_exports_round_trip(uv_engine: UvEngine, made: Path, tmp_path: Path) -> None:
    original = versions(await uv_engine.list_packages(env_at(made)))
    for fmt in ("yml", "no-builds", "from-history"):
        data = yaml.safe_load(await uv_engine.export(env_at(made), fmt))
        assert data["name"] == "made"
        conda = [d for d in data["dependencies"] if isinstance(d, str)]
        pip = next(d["pip"] for d in data["dependencies"] if isinstance(d, dict))
        assert conda == [f"python={CURRENT_PYTHON}", "pip"]
        if fmt == "from-history":
            assert pip == ["beta<1.5", "gamma"]
        else:
            assert pip == ["alpha==1.0", "beta==1.0", "gamma==0.1"]
        copy = tmp_path / f"copy-{fmt}"
        await uv_engine.create(copy, EnvSpec(conda=conda, pip=pip))
        assert versions(await uv_engine.list_packages(env_at(copy))) == original


async def test_lock_round_trip_with_wheelhouse_hashes(
    uv_engine: UvEngine, made: Path, tmp_path: Path
) -> None:
    lock = await uv_engine.export(env_at(made), "lock")
    python, pins = parse_lock(lock)
    assert python is not None and python.startswith(CURRENT_PYTHON)
    assert [p.name for p in pins] == ["alpha", "beta", "gamma"]
    assert all(len(p.hashes) == 1 for p in pins)
    copy = tmp_path / "copy"
    await uv_engine.create_from_lock(copy, lock)
    assert versions(await uv_engine.list_packages(env_at(copy))) == versions(
        await uv_engine.list_packages(env_at(made))
    )
    # Hashes are checked: a lock naming other files is refused and leaves nothing.
    tampered = lock.replace(pins[0].hashes[0], "0" * 64)
    broken = tmp_path / "broken"
    with pytest.raises(EnvManagerError, match="(?i)hash"):
        await uv_engine.create_from_lock(broken, tampered)
    assert not broken.exists()


async def test_this_python_serves_its_version_when_it_is_not_on_path(
    uv_engine: UvEngine, made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server started as `venv/bin/jupyter lab`, never activated, has its Python off
    PATH: a lock recording that Python's version, or a spec asking for it, still gets
    a venv (uv's own search found no interpreter and refused)."""
    lock = await uv_engine.export(env_at(made), "lock")
    monkeypatch.setenv("PATH", str(tmp_path / "no-pythons-here"))
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    from_lock, from_spec = tmp_path / "from-lock", tmp_path / "from-spec"
    await uv_engine.create_from_lock(from_lock, lock)
    await uv_engine.create(from_spec, EnvSpec(python=CURRENT_PYTHON, pip=["alpha"]))
    version = "import platform; print(platform.python_version())"
    assert run_in(from_lock, version) == run_in(from_spec, version) == platform.python_version()
    assert versions(await uv_engine.list_packages(env_at(from_lock))) == versions(
        await uv_engine.list_packages(env_at(made))
    )


async def test_lock_hashes_from_an_index(local_index, uv_cache: Path, tmp_path: Path) -> None:
    engine = UvEngine(index_url=local_index.url, cache_dir=uv_cache, search_cache_dir=tmp_path)
    prefix = tmp_path / "env"
    await engine.create(prefix, EnvSpec(pip=["gamma"]))
    lock = await engine.export(env_at(prefix), "lock")
    _, pins = parse_lock(lock)
    assert [(p.name, p.version, len(p.hashes)) for p in pins] == [
        ("alpha", "1.0", 1),
        ("gamma", "0.1", 1),
    ]
    assert "/simple/alpha/" in local_index.requests
    copy = tmp_path / "copy"
    await engine.create_from_lock(copy, lock)
    assert versions(await engine.list_packages(env_at(copy))) == {"alpha": "1.0", "gamma": "0.1"}


async def test_offline_lock_without_hashes_says_so(
    uv_cache: Path, made: Path, tmp_path: Path
) -> None:
    # An engine whose wheelhouse lacks the installed files cannot hash them offline.
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    engine = UvEngine(find_links=[str(empty)], offline=True, cache_dir=uv_cache)
    lock = await engine.export(env_at(made), "lock")
    assert "hashes: none" in lock and "alpha" in lock.split("hashes: none")[1].splitlines()[0]
    assert [line for line in lock.splitlines() if not line.startswith("#")] == [
        "alpha==1.0",
        "beta==1.0",
        "gamma==0.1",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello world\n",
        "alpha>=1.0\n",
        "alpha==1.*\n",
        "alpha==1.0 --index-url http://evil.example/simple\n",
        "alpha==1.0\nalpha==2.0\n",
        "-r other.txt\n",
    ],
)
async def test_malformed_locks_are_refused(uv_engine: UvEngine, tmp_path: Path, text: str) -> None:
    prefix = tmp_path / "env"
    with pytest.raises(InvalidRequest):
        await uv_engine.create_from_lock(prefix, text)
    assert not prefix.exists()


async def test_unknown_export_format_is_refused(uv_engine: UvEngine, made: Path) -> None:
    with pytest.raises(InvalidRequest, match="format"):
        await uv_engine.export(env_at(made), "zip")  # type: ignore[arg-type]


# ------------------------------------------------------------------ clone, remove, version


async def test_clone_copies_packages_python_and_requests(
    uv_engine: UvEngine, made: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "clone"
    await uv_engine.clone(env_at(made), copy)
    assert Path(run_in(copy, "import sys; print(sys.prefix)")).resolve() == copy.resolve()
    original = await uv_engine.list_packages(env_at(made))
    cloned = await uv_engine.list_packages(env_at(copy))
    assert [(p.name, p.version, p.requested) for p in cloned] == [
        (p.name, p.version, p.requested) for p in original
    ]


async def test_remove_deletes_the_prefix(uv_engine: UvEngine, made: Path) -> None:
    await uv_engine.remove(env_at(made))
    assert not made.exists()


async def test_version_and_availability() -> None:
    engine = UvEngine()
    assert UvEngine.is_available()
    reported = subprocess.run(
        [engine.uv_path, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert engine.version() == reported
    assert UvEngine(uv_path="/nonexistent/uv").version() is None


async def test_missing_uv_binary_is_a_clear_error(tmp_path: Path, wheelhouse: Path) -> None:
    engine = UvEngine(uv_path=str(tmp_path / "no-uv"), find_links=[str(wheelhouse)])
    with pytest.raises(EnvManagerError, match="no-uv"):
        await engine.create(tmp_path / "env", EnvSpec())
    assert not (tmp_path / "env").exists()


# ------------------------------------------------------------------ cancellation


async def test_cancelled_create_leaves_no_process_and_no_prefix(
    hanging_server: str, uv_cache: Path, tmp_path: Path
) -> None:
    prefix = tmp_path / "cancelled-env"
    engine = UvEngine(index_url=hanging_server, cache_dir=uv_cache)
    resolving = asyncio.Event()

    def progress(event: ProgressEvent) -> None:
        if event.stage == "resolve":
            resolving.set()

    task = asyncio.create_task(engine.create(prefix, EnvSpec(pip=["alpha"]), progress=progress))
    await asyncio.wait_for(resolving.wait(), timeout=30)
    # uv is now blocked on the stalled index: its command line names the prefix.
    deadline = asyncio.get_running_loop().time() + 10
    while not processes_mentioning(str(prefix)):
        assert asyncio.get_running_loop().time() < deadline, "uv never started"
        await asyncio.sleep(0.05)
    assert prefix.exists()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert processes_mentioning(str(prefix)) == []
    assert not prefix.exists()
