"""What the README and examples/ promise, executed.

Every README code block fenced as ```bash offline is run as a user would run it,
from a copy of the repository's examples; every example notebook is executed in
a fresh kernel. Both run without network access (EXAMPLES_OFFLINE=1 makes the
example use its generated corpus instead of downloading 20 newsgroups).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
BLOCK_RE = re.compile(r"^```bash offline\n(.*?)^```", re.S | re.M)
SNIPPETS = BLOCK_RE.findall((ROOT / "README.md").read_text())
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "EXAMPLES_OFFLINE": "1",
    }
    (tmp_path / "home").mkdir()
    return tmp_path, env


def test_readme_has_offline_snippets():
    assert len(SNIPPETS) >= 2


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.split("\n")[0][:40] for s in SNIPPETS])
def test_readme_snippet_runs(snippet: str, workspace):
    cwd, env = workspace
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"{snippet}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    if "grid" in snippet and "--out" in snippet:
        out = re.search(r"--out (\S+)", snippet).group(1)
        results = (cwd / "examples" / out / "results.csv").read_text().splitlines()
        assert len(results) == 1 + 8  # header + every point of the example grid
        assert "best" in done.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_example_notebook_executes(path: Path, workspace):
    cwd, env = workspace
    notebook = nbformat.read(cwd / "examples" / path.name, as_version=4)
    os.environ["EXAMPLES_OFFLINE"] = "1"  # the kernel inherits this process's environment
    try:
        NotebookClient(
            notebook, timeout=300, kernel_name="python3",
            resources={"metadata": {"path": str(cwd / "examples")}},
        ).execute()  # fmt: skip
    finally:
        os.environ.pop("EXAMPLES_OFFLINE", None)
    text = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "accuracy" in text
    assert "Error" not in text
