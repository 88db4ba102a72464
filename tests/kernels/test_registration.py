"""Registered kernelspec files work without our spec manager: the stock
KernelSpecManager finds them and papermill runs a notebook in the env with them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from jupyter_env_manager.core.errors import EnvironmentExists, EnvironmentNotFound, InvalidRequest
from jupyter_env_manager.core.models import Environment
from jupyter_env_manager.kernels import registration
from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager

from .conftest import KernelDirs
from .fake_envs import fake_conda_env

NAME = "conda-env-kconda-py"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "jupyter-data"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    return data


def spec_manager(dirs: KernelDirs) -> EnvKernelSpecManager:
    return EnvKernelSpecManager(**dirs.spec_manager_config())


def test_registered_kernel_runs_under_papermill_inside_its_env(
    data_dir: Path, kernel_dirs: KernelDirs, conda_env: Environment, tmp_path: Path
):
    written = registration.register(spec_manager(kernel_dirs).kernels_for(conda_env), user=True)
    assert [w.name for w in written] == [NAME]
    assert written[0].path == data_dir / "kernels" / NAME

    stock = KernelSpecManager()
    assert NAME in stock.find_kernel_specs()
    spec = stock.get_kernel_spec(NAME)
    prefix = str(conda_env.prefix)
    assert spec.argv[0] == f"{prefix}/bin/python"
    assert spec.env["CONDA_PREFIX"] == prefix
    assert spec.env["PATH"] == f"{prefix}/bin:${{PATH}}"
    assert "kernel_provisioner" not in spec.metadata  # works without our package
    assert spec.metadata["jupyter_env_manager"]["registered"] is True
    assert (written[0].path / "logo-64x64.png").is_file()  # resources copied

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import os, sys, json\n"
            "print(json.dumps({'prefix': sys.prefix,"
            " 'conda': os.environ.get('CONDA_PREFIX'),"
            " 'activator': os.environ.get('ACTIVATOR_TEST_HOME'),"
            " 'path0': os.environ['PATH'].split(os.pathsep)[0]}))"
        )
    )
    source, output = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(source), str(output), "-k", NAME],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = nbformat.read(output, as_version=4)
    seen = json.loads(result.cells[0].outputs[0]["text"])
    assert seen == {
        "prefix": prefix,
        "conda": prefix,
        "activator": f"{prefix}/share/activator",
        "path0": f"{prefix}/bin",
    }


def test_foreign_specs_are_never_replaced_or_removed(data_dir: Path, tmp_path: Path):
    envs = tmp_path / "envs"
    env_prefix = fake_conda_env(envs / "mine")
    foreign = data_dir / "kernels" / "conda-env-mine-py"
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text('{"argv": ["someone-elses"], "display_name": "x"}')
    ksm = EnvKernelSpecManager(
        envs_dirs=[str(envs)],
        venvs_dir=str(tmp_path / "v"),
        environments_txt=str(tmp_path / "t"),
        root_prefix="",
    )
    kernels = [k for k in ksm.env_kernels().values() if k.env.prefix == env_prefix]
    with pytest.raises(EnvironmentExists, match="not written by jupyter-env-manager"):
        registration.register(kernels, user=True)
    assert json.loads((foreign / "kernel.json").read_text())["argv"] == ["someone-elses"]

    with pytest.raises(EnvironmentNotFound):
        registration.unregister("conda-env-mine-py", user=True)
    assert foreign.is_dir()


def test_unregister_and_clean_stale_touch_only_our_specs(data_dir: Path, tmp_path: Path):
    envs = tmp_path / "envs"
    keep = fake_conda_env(envs / "keep")
    gone = fake_conda_env(envs / "gone")
    also = fake_conda_env(envs / "also")
    ksm = EnvKernelSpecManager(
        envs_dirs=[str(envs)],
        venvs_dir=str(tmp_path / "v"),
        environments_txt=str(tmp_path / "t"),
        root_prefix="",
    )
    for prefix in (keep, gone, also):
        registration.register(
            [k for k in ksm.env_kernels().values() if k.env.prefix == prefix], user=True
        )
    foreign = data_dir / "kernels" / "handmade"
    foreign.mkdir()
    (foreign / "kernel.json").write_text('{"argv": ["x"], "display_name": "x"}')
    listed = {r.name for r in registration.list_registered([data_dir / "kernels"])}
    assert listed == {"conda-env-keep-py", "conda-env-gone-py", "conda-env-also-py"}

    removed = registration.unregister("also", user=True)  # by env name
    assert [r.name for r in removed] == ["conda-env-also-py"]
    assert not (data_dir / "kernels" / "conda-env-also-py").exists()

    shutil.rmtree(gone)
    stale = registration.clean_stale([data_dir / "kernels"])
    assert [r.name for r in stale] == ["conda-env-gone-py"]
    assert sorted(p.name for p in (data_dir / "kernels").iterdir()) == [
        "conda-env-keep-py",
        "handmade",
    ]


def test_register_needs_kernels_and_one_destination(tmp_path: Path):
    with pytest.raises(InvalidRequest, match="install ipykernel"):
        registration.register([], user=True)
    with pytest.raises(InvalidRequest, match="exactly one"):
        registration.destination(user=True, sys_prefix=True)
    assert registration.destination(prefix=str(tmp_path)) == tmp_path / "share/jupyter/kernels"
