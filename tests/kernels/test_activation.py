"""Activation computed for real: conda variables, activate.d scripts run in bash,
failures and time limits of those scripts, venvs, caching, static env blocks."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from jupyter_env_manager.kernels import activation as act

from .fake_envs import fake_conda_env, fake_venv

BASE = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/home/u", "LANG": "C.UTF-8"}


def script(prefix: Path, name: str, text: str) -> Path:
    folder = prefix / "etc" / "conda" / "activate.d"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_conda_activation_variables_from_a_clean_shell(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "geo")
    result = act.compute_activation(prefix, kind="conda", name="geo", environ=BASE)
    env = result.apply(BASE)
    assert env["PATH"] == f"{prefix}/bin:/usr/local/bin:/usr/bin:/bin"
    assert env["CONDA_PREFIX"] == str(prefix)
    assert env["CONDA_DEFAULT_ENV"] == "geo"
    assert env["CONDA_SHLVL"] == "1"
    assert env["CONDA_PROMPT_MODIFIER"] == "(geo) "
    assert "CONDA_PREFIX_1" not in env
    assert env["HOME"] == "/home/u"
    assert result.warnings == ()


def test_replacing_an_active_env_and_the_servers_venv(tmp_path):
    old = fake_conda_env(tmp_path / "envs" / "old")
    new = fake_conda_env(tmp_path / "envs" / "new")
    server_venv = tmp_path / "server-venv"
    environ = {
        **BASE,
        "PATH": f"{server_venv}/bin:{old}/bin:/usr/bin",
        "CONDA_PREFIX": str(old),
        "CONDA_SHLVL": "2",
        "VIRTUAL_ENV": str(server_venv),
        "PYTHONHOME": "/wrong",
    }
    env = act.compute_activation(new, kind="conda", name="new", environ=environ).apply(environ)
    assert env["PATH"] == f"{new}/bin:/usr/bin"  # old env and server venv bins gone
    assert env["CONDA_SHLVL"] == "3"
    assert env["CONDA_PREFIX_2"] == str(old)
    assert "VIRTUAL_ENV" not in env and "PYTHONHOME" not in env


def test_activate_d_scripts_set_change_and_unset_variables(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "gis")
    script(prefix, "a-gdal.sh", 'export GDAL_DATA="$CONDA_PREFIX/share/gdal"\n')
    script(prefix, "b-path.sh", 'export PATH="$CONDA_PREFIX/libexec:$PATH"\nunset LANG\n')
    script(prefix, "c-uses-a.sh", 'export PROJ_HOME="${GDAL_DATA%/gdal}/proj"\n')
    (prefix / "etc/conda/activate.d/ignored.bat").write_text("set NOT_RUN=1\n")
    (prefix / "conda-meta" / "state").write_text(json.dumps({"env_vars": {"SAVED": "v 1"}}))

    env = act.compute_activation(prefix, kind="conda", name="gis", environ=BASE).apply(BASE)
    assert env["GDAL_DATA"] == f"{prefix}/share/gdal"
    assert env["PROJ_HOME"] == f"{prefix}/share/proj"  # scripts run in order, in one shell
    assert env["PATH"].split(":")[:2] == [f"{prefix}/libexec", f"{prefix}/bin"]
    assert env["SAVED"] == "v 1"  # `conda env config vars set`
    assert "LANG" not in env
    assert "NOT_RUN" not in env
    for noise in ("SHLVL", "_", "PWD"):
        assert noise not in env


def test_script_paths_with_shell_metacharacters_are_not_interpreted(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "we$ird; touch pwned")
    script(prefix, "x $(touch pwned2).sh", "export ODD_OK=1\n")
    env = act.compute_activation(prefix, kind="conda", environ=BASE).apply(BASE)
    assert env["ODD_OK"] == "1"
    assert not list(tmp_path.rglob("pwned*"))


def test_failing_or_exiting_scripts_keep_the_base_activation(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "bad")
    script(prefix, "a.sh", "false\nexport BEFORE_EXIT=1\n")
    script(prefix, "b.sh", "echo broken >&2; exit 3\n")
    result = act.compute_activation(prefix, kind="conda", name="bad", environ=BASE)
    assert result.set["CONDA_PREFIX"] == str(prefix)
    assert "BEFORE_EXIT" not in result.set
    assert len(result.warnings) == 1 and "exit 3" in result.warnings[0]
    assert "broken" in result.warnings[0]


def test_scripts_are_time_limited(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "slow")
    script(prefix, "slow.sh", "sleep 30\nexport LATE=1\n")
    result = act.compute_activation(
        prefix, kind="conda", name="slow", environ=BASE, script_timeout=0.5
    )
    assert "LATE" not in result.set
    assert "longer than 0.5 s" in result.warnings[0]


def test_venv_activation(tmp_path):
    prefix = fake_venv(tmp_path / "venvs" / "tool")
    other = tmp_path / "venvs" / "other"
    environ = {**BASE, "VIRTUAL_ENV": str(other), "PATH": f"{other}/bin:/usr/bin"}
    env = act.compute_activation(prefix, kind="venv", name="tool", environ=environ).apply(environ)
    assert env["VIRTUAL_ENV"] == str(prefix)
    assert env["VIRTUAL_ENV_PROMPT"] == "tool"
    assert env["PATH"] == f"{prefix}/bin:/usr/bin"


def test_cache_follows_script_changes(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "c")
    path = script(prefix, "v.sh", "export VERSION_VAR=one\n")
    first = act.activation_for(prefix, kind="conda", environ=BASE)
    assert act.activation_for(prefix, kind="conda", environ=BASE) is first
    path.write_text("export VERSION_VAR=second\n")
    assert act.activation_for(prefix, kind="conda", environ=BASE).set["VERSION_VAR"] == "second"
    script(prefix, "w.sh", "export ADDED=1\n")
    assert act.activation_for(prefix, kind="conda", environ=BASE).set["ADDED"] == "1"
    # A different base environment is a different activation.
    other = {**BASE, "PATH": "/opt/bin"}
    assert act.activation_for(prefix, kind="conda", environ=other).set["PATH"].endswith("/opt/bin")


def test_static_env_block_keeps_path_dynamic(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "s")
    script(prefix, "p.sh", "export PATH=\"$CONDA_PREFIX/extra:$PATH\"\nexport PRICE='$5'\n")
    environ = {**BASE, "CONDA_PREFIX": "/somewhere/else", "CONDA_SHLVL": "4"}
    block = act.static_env_block(prefix, kind="conda", name="s", environ=environ)
    assert block["PATH"] == os.pathsep.join([f"{prefix}/extra", f"{prefix}/bin", "${PATH}"])
    assert block["CONDA_PREFIX"] == str(prefix)
    assert block["CONDA_SHLVL"] == "1"  # not stacked on the registering shell's envs
    assert block["PRICE"] == "$$5"  # jupyter_client's Template turns $$ back into $


@pytest.mark.parametrize("kind", ["conda", "venv"])
def test_async_variant_matches(tmp_path, kind):
    import asyncio

    prefix = fake_conda_env(tmp_path / "e") if kind == "conda" else fake_venv(tmp_path / "e")
    sync = act.compute_activation(prefix, kind=kind, environ=BASE)
    got = asyncio.run(act.activation_for_async(prefix, kind=kind, environ=BASE))
    assert got.set == sync.set


def test_timed_out_scripts_leave_no_process_behind(tmp_path):
    prefix = fake_conda_env(tmp_path / "envs" / "hang")
    pid_file = tmp_path / "child.pid"
    script(prefix, "hang.sh", f"sleep 60 &\necho $! > '{pid_file}'\nwait\n")
    act.compute_activation(prefix, kind="conda", environ=BASE, script_timeout=0.5)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"background child {pid} of the script still runs")
