"""Kernel names on the real conda: for every env `conda info --json` lists, our
EnvKernelSpecManager gives each kernel the name and display name nb_conda_kernels
2.5.2 gives it.

The expected names come from `nb_conda_kernels_specs` below: nb_conda_kernels'
rules (its `manager.py`, `_all_envs` and `_all_specs`, read at tag 2.5.2; see
tests/kernels/test_naming.py for the rule list) applied to conda's own answer, as
nb_conda_kernels applies them. Ours come from our discovery, which never runs conda.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import uuid
from pathlib import Path

import pytest

from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager
from tests.rattler.channel_builder import PackageDef, build_channel

from .helpers import conda, conda_create, conda_info, user_environ

KERNELS = {
    "pyspec": ("python3", {"display_name": "Python 3 (ipykernel)", "language": "python"}),
    "irspec": ("ir", {"display_name": "R", "language": "R"}),
    "jlspec": ("julia-1.10", {"display_name": "Julia 1.10.4", "language": "julia"}),
}


@pytest.fixture(scope="module")
def kernel_channel(tmp_path_factory) -> str:
    packages = [
        PackageDef(
            pkg,
            "1.0",
            files={
                f"share/jupyter/kernels/{folder}/kernel.json": json.dumps(
                    {
                        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                        **spec,
                    }  # fmt: skip
                )
            },
        )
        for pkg, (folder, spec) in KERNELS.items()
    ]
    return build_channel(tmp_path_factory.mktemp("kernel-channel"), packages)


def _clean(name: str) -> str:
    if not name.isascii():
        name = "".join(
            c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
        )
    return re.sub(r"[^a-zA-Z0-9._\-]", "_", name)


def nb_conda_kernels_specs(info: dict) -> dict[str, tuple[str, str]]:
    """kernel name -> (display name, env prefix), nb_conda_kernels 2.5.2's way."""
    base = info["conda_prefix"]
    envs = list(info["envs"])
    if base not in envs:
        envs.insert(0, base)
    default_envs = os.path.join(base, "envs")
    names: dict[str, str] = {}  # env name -> prefix, in the order names are given
    for path in envs:
        if path == base:
            name = "base"
        elif path.startswith(os.path.join(base, "conda-bld", "")):
            continue
        else:
            parent, name = os.path.split(path)
            if os.path.basename(parent) == "envs" and (parent != default_envs or name in names):
                name = f"{os.path.basename(os.path.dirname(parent))}-{name}"
        if name in names:
            stem = name
            for count in range(len(names)):
                name = f"{stem}-{count + 2}"
                if name not in names:
                    break
        names[name] = path
    specs: dict[str, tuple[str, str]] = {}
    for env_name, path in names.items():
        for spec_file in Path(path, "share", "jupyter", "kernels").glob("*/kernel.json"):
            raw = spec_file.parent.name
            short = {"python2": "py", "python3": "py", "ir": "r"}.get(raw, raw)
            middle = "" if env_name == "base" else "env-"
            kernel = _clean(f"conda-{middle}{env_name}-{short}")
            shown = json.loads(spec_file.read_text())["display_name"]
            language = "Python" if shown.startswith("Python") else shown
            specs[kernel] = (f"{language} [conda env:{env_name}]", path)
    return specs


@pytest.fixture
def base_with_kernel(real_conda, kernel_channel, tmp_path):
    """The shared base gets a Python kernel for this test only."""
    env = user_environ(real_conda, tmp_path / "setup-home")
    conda(real_conda, env, "install", "-y", "-q", "-n", "base", "-c", kernel_channel,
          "--override-channels", "--offline", "pyspec")  # fmt: skip
    yield
    conda(real_conda, env, "remove", "-y", "-q", "-n", "base", "--offline", "pyspec")


def test_names_equal_nb_conda_kernels_for_every_env_conda_lists(
    real_conda, kernel_channel, tmp_path, monkeypatch, base_with_kernel
):
    tag = uuid.uuid4().hex[:6]
    team = tmp_path / "team" / "envs"
    env = user_environ(real_conda, tmp_path / "home", CONDA_ENVS_PATH=str(team))
    in_base = real_conda.envs_dir
    made = [
        # -n first: conda's `create -n` of a name some envs dir already holds replaces
        # that env. CONDA_ENVS_PATH comes first in envs_dirs: this lands in team/envs.
        (("-n", f"dup-{tag}"), "pyspec"),
        (("-p", str(in_base / f"dup-{tag}")), "pyspec"),
        (("-n", f"Stats.R+{tag}"), "irspec"),  # case kept, "+" cleaned
        (("-p", str(in_base / f"jl-{tag}")), "jlspec"),
    ]
    try:
        for target, package in made:
            conda_create(real_conda, env, kernel_channel, target, package)
        info = conda_info(real_conda, env)
        expected = nb_conda_kernels_specs(info)
        listed = set(info["envs"])

        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ksm = EnvKernelSpecManager(keep_plain_kernels=False, venvs_dir=str(tmp_path / "venvs"))
        ours = {
            name: (spec["spec"]["display_name"], spec["spec"]["metadata"]["conda_env_path"])
            for name, spec in ksm.get_all_specs().items()
            if spec["spec"]["metadata"].get("conda_env_path") in listed
        }
        assert ours == expected
        # The cases this setup is about, spelled out.
        assert expected["conda-base-py"][0] == "Python [conda env:base]"
        assert expected[f"conda-env-dup-{tag}-py"][1] == str(in_base / f"dup-{tag}")
        assert expected[f"conda-env-team-dup-{tag}-py"][0] == f"Python [conda env:team-dup-{tag}]"
        assert expected[f"conda-env-team-Stats.R_{tag}-r"][0] == f"R [conda env:team-Stats.R+{tag}]"
        assert expected[f"conda-env-jl-{tag}-julia-1.10"][0] == f"Julia 1.10.4 [conda env:jl-{tag}]"
        # A notebook saved by an older nb_conda_kernels still finds base's kernel.
        assert ksm.get_kernel_spec("conda-root-py").metadata["conda_env_path"] == str(
            real_conda.root
        )
    finally:
        for prefix in (in_base / f"dup-{tag}", in_base / f"jl-{tag}"):
            real_conda.run("env", "remove", "-y", "-q", "-p", str(prefix), check=False)
