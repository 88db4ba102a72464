"""A real editable install (`uv pip install -e`) of a one-module project, for the
tests of environments that cannot be pinned."""

from __future__ import annotations

from pathlib import Path

from tests.kernels.conftest import uv

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "My_Editable"
version = "0.1"

[tool.setuptools]
py-modules = ["my_editable"]
"""


def install_editable(prefix: Path, folder: Path) -> None:
    """`uv pip install -e folder/project` into the env at `prefix` (setuptools from PyPI)."""
    project = folder / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "my_editable.py").write_text("VALUE = 1\n")
    uv("pip", "install", "--python", str(prefix / "bin" / "python"), "-e", str(project))
