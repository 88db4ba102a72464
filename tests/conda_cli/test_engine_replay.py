"""The CLI engine end to end against a stand-in executable that replays REAL recordings.

The stand-in (replay_tool.py) prints files from recordings/ (sources in
recordings/README.md); what is tested here is our side: the argument lists we build,
exit-code handling, error mapping, temp lock files, and killing the child on cancel.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml

from jupyter_env_manager.core.engines.conda_cli import (
    CondaEngine,
    MambaEngine,
    MicromambaEngine,
    detect_conda_tools,
)
from jupyter_env_manager.core.errors import (
    EngineUnavailable,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from jupyter_env_manager.core.models import Environment

from .replay_tool import calls, make_replay_tool


def env_at(prefix: Path) -> Environment:
    return Environment(name=prefix.name, prefix=prefix, kind="conda", engine="conda")


async def test_dry_run_install_argv_and_plan(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "mamba",
        # conda and old mamba exit 1 after a --json --dry-run (DryRunExit).
        [
            {
                "when": ["install", "--dry-run"],
                "stdout": "mamba-0.x_create_dry_run_zlib.txt",
                "exit": 1,
            }
        ],
    )
    prefix = tmp_path / "envs" / "demo"
    plan = await MambaEngine(tool).install(env_at(prefix), ["zlib"], dry_run=True)
    assert [(c.name, c.action, c.new_version) for c in plan.changes] == [
        ("zlib", "install", "1.2.11")
    ]
    (call,) = calls(tool.parent)
    argv = call["argv"]
    assert argv[0] == "install"
    assert argv[argv.index("--prefix") + 1] == str(prefix)
    for flag in ("--yes", "--json", "--dry-run"):
        assert argv.index(flag) < argv.index("--")
    assert argv[argv.index("--") + 1 :] == ["zlib"]


async def test_channels_override_configured_ones(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["install"], "stdout": "conda-26.7.1_install_nothing_to_do.json"}],
    )
    await CondaEngine(tool).install(
        env_at(tmp_path / "e"), ["numpy"], channels=["file:///srv/channel"], dry_run=True
    )
    argv = calls(tool.parent)[0]["argv"]
    assert "--override-channels" in argv
    assert argv[argv.index("-c") + 1] == "file:///srv/channel"


async def test_missing_package_error_json_maps_to_422(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [
            {
                "when": ["install"],
                "stdout": "conda-26.7.1_install_packages_not_found.json",
                "exit": 1,
            }
        ],
    )
    with pytest.raises(PackagesNotFound) as caught:
        await CondaEngine(tool).install(env_at(tmp_path / "e"), ["surely-not-a-package"])
    assert caught.value.names == ["surely-not-a-package"]
    assert caught.value.status == 422


async def test_mamba1_text_failure_maps_to_packages_not_found(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "mamba",
        [
            {
                "when": ["install"],
                "stdout": "mamba-0.x_install_dry_run_packages_not_found.txt",
                "exit": 1,
            }
        ],
    )
    with pytest.raises(PackagesNotFound):
        await MambaEngine(tool).install(env_at(tmp_path / "e"), ["xyz"], dry_run=True)


async def test_unsatisfiable_create(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["create"], "stdout": "conda-26.7.1_create_unsatisfiable.json", "exit": 1}],
    )
    from jupyter_env_manager.core.models import EnvSpec

    # The recorded command: conda create ... beta alpha>=2
    with pytest.raises(Unsatisfiable):
        await CondaEngine(tool).create(tmp_path / "new", EnvSpec(conda=["beta", "alpha>=2"]))
    argv = calls(tool.parent)[0]["argv"]
    assert argv[argv.index("--") + 1 :] == ["beta", "alpha>=2"]
    assert not (tmp_path / "new").exists()


async def test_create_puts_python_first_and_adds_pip_for_pip_specs(tmp_path):
    # create ignores stdout on success; any real success output will do.
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["create"], "stdout": "conda-26.7.1_install_nothing_to_do.json"}],
    )
    from jupyter_env_manager.core.models import EnvSpec

    with pytest.raises(InvalidRequest, match="has no Python"):
        # The replayed tool makes no prefix, so the pip step finds no Python and says so.
        await CondaEngine(tool).create(
            tmp_path / "new", EnvSpec(python="3.11", conda=["numpy"], pip=["requests"])
        )
    argv = calls(tool.parent)[0]["argv"]
    assert argv[argv.index("--") + 1 :] == ["python=3.11", "numpy", "pip"]


async def test_list_packages_reads_json(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["list", "--json"], "stdout": "conda-26.7.1_list.json"}],
    )
    prefix = tmp_path / "demo"
    packages = await CondaEngine(tool).list_packages(env_at(prefix))
    assert [(p.name, p.version, p.source) for p in packages] == [
        ("alpha", "1.0", "conda"),
        ("gamma", "1.0", "conda"),
        ("python", "3.11.7", "conda"),
        ("zeta", "0.5", "conda"),
    ]
    assert calls(tool.parent)[0]["argv"] == ["list", "--prefix", str(prefix), "--json"]


async def test_export_yml_and_lock_for_micromamba(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "micromamba",
        [
            # micromamba's explicit export has conda's format; conda's recording stands in.
            {"when": ["--explicit"], "stdout": "conda-26.7.1_list_explicit_md5.txt"},
            {"when": ["env", "export", "--json"], "stdout": "micromamba-2.0_env_export_empty.json"},
        ],
    )
    engine = MicromambaEngine(tool)
    env = env_at(tmp_path / "empty")
    yml = await engine.export(env, "yml")
    assert yaml.safe_load(yml)["name"] == "empty"
    lock = await engine.export(env, "lock")
    assert lock.splitlines()[4] == "@EXPLICIT"
    argvs = [c["argv"] for c in calls(tool.parent)]
    assert argvs[1] == ["env", "export", "--prefix", str(env.prefix), "--explicit", "--md5"]


async def test_create_from_lock_passes_the_lock_as_a_file(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["create", "--file"], "stdout": "conda-26.7.1_install_nothing_to_do.json"}],
    )
    lock = (Path(__file__).parent / "recordings" / "conda-26.7.1_list_explicit_md5.txt").read_text()
    await CondaEngine(tool).create_from_lock(tmp_path / "locked", lock)
    (call,) = calls(tool.parent)
    assert call["file_content"] == lock
    # The temporary lock file is gone afterwards.
    lock_path = call["argv"][call["argv"].index("--file") + 1]
    assert not os.path.exists(lock_path)


async def test_create_from_non_lock_is_refused_before_running(tmp_path):
    tool = make_replay_tool(tmp_path / "bin", "conda", [])
    with pytest.raises(InvalidRequest):
        await CondaEngine(tool).create_from_lock(tmp_path / "x", "numpy\npandas\n")
    assert calls(tool.parent) == []
    assert not (tmp_path / "x").exists()


async def test_cancel_kills_the_child(tmp_path):
    tool = make_replay_tool(
        tmp_path / "bin",
        "conda",
        [{"when": ["install"], "stdout": "conda-26.7.1_install_nothing_to_do.json", "sleep": 30}],
    )
    task = asyncio.create_task(CondaEngine(tool).install(env_at(tmp_path / "e"), ["zlib"]))
    for _ in range(200):
        if calls(tool.parent):
            break
        await asyncio.sleep(0.05)
    pid = calls(tool.parent)[0]["pid"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_version_and_detection_of_mamba2(tmp_path):
    bin_dir = tmp_path / "bin"
    make_replay_tool(
        bin_dir, "mamba", [{"when": ["--version"], "stdout": "mamba-2.0.8_version.txt"}]
    )
    assert detect_conda_tools(str(bin_dir)) == {
        "mamba": {"path": str(bin_dir / "mamba"), "version": "2.0.8"}
    }
    assert MambaEngine(bin_dir / "mamba").version() == "2.0.8"


def test_missing_tool_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not MicromambaEngine.is_available()
    with pytest.raises(EngineUnavailable, match="micromamba is not installed"):
        MicromambaEngine()
