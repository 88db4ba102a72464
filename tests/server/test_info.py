"""`GET /env-manager/api/info` against a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import metadata

import jupyter_env_manager
from jupyter_env_manager.core.info import parse_version_output, uv_binary


async def test_info_reports_package_version_and_true_engine_list(jp_fetch):
    response = await jp_fetch("env-manager", "api", "info")
    assert response.code == 200
    info = json.loads(response.body)

    assert info["version"] == jupyter_env_manager.__version__
    assert info["version"] == metadata.version("jupyter_env_manager")

    engines = {engine["name"]: engine for engine in info["engines"]}
    assert list(engines) == ["conda", "mamba", "micromamba", "rattler", "uv"]
    for tool in ("conda", "mamba", "micromamba"):
        assert engines[tool]["available"] is (shutil.which(tool) is not None)

    # The test server configures the embedded engine by name.
    assert info["default_engine"] == {"configured": "rattler", "resolved": "rattler"}
    assert engines["rattler"]["available"] is True
    assert engines["rattler"]["version"] == metadata.version("py-rattler")

    uv = uv_binary()
    assert uv is not None
    expected_uv = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True)
    assert engines["uv"] == {
        "name": "uv",
        "available": True,
        "path": uv,
        "version": parse_version_output(expected_uv.stdout),
    }


def test_version_parsing_of_real_tool_outputs():
    """Outputs as printed by conda 24.x, mamba 2.x, micromamba 1.5 and uv."""
    assert parse_version_output("conda 24.7.1\n") == "24.7.1"
    assert parse_version_output("2.0.5\n") == "2.0.5"
    assert parse_version_output("1.5.8\n") == "1.5.8"
    assert parse_version_output("uv 0.13.9 (4c1f1b2 2026-11-10)\n") == "0.13.9"
    assert parse_version_output("no version here") is None
