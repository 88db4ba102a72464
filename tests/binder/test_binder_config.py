"""The binder/ folder builds on mybinder.org: checked offline with repo2docker itself.

`jupyter-repo2docker --no-build` reads the repository as mybinder.org does and
prints the Dockerfile it would build, without Docker.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REPO2DOCKER = str(Path(sys.executable).with_name("jupyter-repo2docker"))


def _dockerfile(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REPO2DOCKER, "--no-build", "--user-id", "1000", "--user-name", "jovyan", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_repo2docker_uses_our_environment_and_post_build():
    done = _dockerfile(ROOT)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "Building conda environment for python=3.12" in output
    assert '--file "binder/environment.yml"' in output
    assert "RUN ./binder/postBuild" in output


def test_environment_pins_python_the_way_repo2docker_reads_it():
    spec = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    deps = [d for d in spec["dependencies"] if isinstance(d, str)]
    # repo2docker only understands `python=X.Y`; `python>=X.Y` silently means its default.
    assert any(d.startswith("python=") and ">" not in d for d in deps)
    assert any(d.startswith("jupyterlab") for d in deps)
    assert any(d.startswith("nodejs") for d in deps)


def test_post_build_stops_on_the_first_error():
    script = (ROOT / "binder" / "postBuild").read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert "pip install" in script


def test_malformed_environment_is_refused(tmp_path):
    """The check above would catch a broken file: repo2docker fails on bad YAML."""
    broken = tmp_path / "repo"
    shutil.copytree(ROOT / "binder", broken / "binder")
    (broken / "binder" / "environment.yml").write_text("dependencies: [python=3.12\n")
    assert _dockerfile(broken).returncode != 0
