"""Newcomer papercuts, run as a user runs the CLI: package arguments of a PyPI
engine, unreachable channels in one line, names with a trailing newline.

The config aims the rattler engine at a local channel and uv (or venv+pip) at a
local wheelhouse (tiny-pkg 1.2 and 1.3), with every directory in the test's tmp.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_user import CliUser


@pytest.fixture
def cli(tmp_path: Path, local_channel: str, wheelhouse: Path) -> CliUser:
    environ = {
        k: v for k, v in os.environ.items()
        if k not in ("CONDA_PREFIX", "CONDA_EXE", "MAMBA_ROOT_PREFIX", "PIP_FIND_LINKS")
    }  # fmt: skip
    return CliUser(
        tmp_path,
        {"default_engine": "rattler", "channels": [local_channel],
         "find_links": [str(wheelhouse)], "offline": True},
        base_environ=environ,
        environ={
            # Machine-wide pip settings must not add indexes to the venv engine's installs.
            "PIP_CONFIG_FILE": os.devnull,
            # A refused connection fails at once instead of after seconds of back-off
            # (pip keeps its retries: without them it reports "not found", not the cause).
            "UV_HTTP_RETRIES": "0",
        },
        timeout=180,
    )  # fmt: skip


def _made(cli) -> list[str]:
    """Everything under the env folders: a refused command must leave nothing."""
    found = []
    for folder in ("envs", "venvs"):
        root = cli.tmp / folder
        if root.exists():
            found += [p.name for p in root.iterdir()]
    return found


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in done.stderr
    return lines[0]


# ------------------------------------------------------------ PyPI package arguments


@pytest.mark.parametrize("engine", ["uv", "venv"])
def test_package_arguments_of_a_pypi_engine_are_pypi_requirements(cli, engine):
    created = cli("create", "-n", "ml", "--engine", engine, "tiny-pkg<1.3", "--json")
    assert created.returncode == 0, created.stderr
    env = json.loads(created.stdout)
    assert env["kind"] == "venv"

    listed = json.loads(cli("packages", "-n", "ml", "--json").stdout)
    packages = {p["name"]: p["version"] for p in listed}
    assert packages["tiny-pkg"] == "1.2"
    # `python -m venv` seeds pip, uv does not: proof of which engine made it.
    assert ("pip" in packages) == (engine == "venv")
    site = Path(env["prefix"], "lib").glob("python*/site-packages/tiny_pkg/__init__.py")
    assert [path.read_text() for path in site] == ['__version__ = "1.2"\n']


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [
        ("tiny-pkg=1.2", "'tiny-pkg==1.2.*'"),
        ("tiny-pkg=1.2=py_0", "'tiny-pkg==1.2'"),
        ("conda-forge::tiny-pkg", "'tiny-pkg'"),
        ("tiny-pkg 1.2", "'tiny-pkg==1.2'"),
    ],
)
def test_conda_syntax_for_a_pypi_engine_is_refused_with_its_pypi_spelling(cli, spec, suggestion):
    line = _one_error_line(cli("create", "-n", "ml", "--engine", "uv", spec))
    assert spec in line and "conda syntax" in line
    assert line.endswith(f"Write it as {suggestion}.")
    assert _made(cli) == []


def test_the_pip_layer_of_a_conda_env_refuses_conda_pins_the_same_way(cli):
    line = _one_error_line(cli("create", "-n", "demo", "alpha", "--pip", "tiny-pkg=1.2"))
    assert line.endswith("Write it as 'tiny-pkg==1.2.*'.")
    assert _made(cli) == []


def test_install_into_a_venv_takes_pypi_requirements_and_refuses_conda_pins(cli):
    assert cli("create", "-n", "ml", "--engine", "uv").returncode == 0

    line = _one_error_line(cli("install", "-n", "ml", "-y", "tiny-pkg=1.2"))
    assert "'tiny-pkg==1.2.*'" in line
    assert json.loads(cli("packages", "-n", "ml", "--json").stdout) == []

    done = cli("install", "-n", "ml", "-y", "tiny-pkg==1.2.*", "--json")
    assert done.returncode == 0, done.stderr
    changes = json.loads(done.stdout)["changes"]
    assert [(c["name"], c["action"], c["new_version"]) for c in changes] == [
        ("tiny-pkg", "install", "1.2")
    ]


# ------------------------------------------------------------ unreachable channels


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_search_on_a_refusing_channel_says_which_and_why_in_one_line(cli, refusing_port):
    channel = f"http://127.0.0.1:{refusing_port}/chan"
    line = _one_error_line(cli("search", "alpha", "-c", channel))
    assert line == (
        f"error: Channel {channel} could not be reached: 127.0.0.1:{refusing_port} "
        "refused the connection (is the server running?)."
    )


def test_a_channel_whose_host_does_not_resolve_says_dns_in_one_line(cli):
    # `.invalid` never resolves (RFC 6761): the lookup fails here, nothing is sent out.
    channel = "https://no-such-host.invalid/x"
    line = _one_error_line(cli("search", "alpha", "-c", channel))
    assert line == (
        f"error: Channel {channel} could not be reached: DNS lookup of no-such-host.invalid "
        "failed (no network, or a wrong host name?)."
    )


def test_create_from_an_unreachable_channel_fails_in_one_line_and_leaves_nothing(
    cli, refusing_port
):
    channel = f"http://127.0.0.1:{refusing_port}/chan"
    done = cli("create", "-n", "demo", "alpha", "-c", channel)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("[")]
    assert errors == [
        f"error: Channel {channel} could not be reached: 127.0.0.1:{refusing_port} "
        "refused the connection (is the server running?)."
    ]
    assert "Caused by" not in done.stderr
    assert _made(cli) == []


def test_pypi_search_on_a_refusing_index_says_which_and_why_in_one_line(cli, refusing_port):
    index = f"http://127.0.0.1:{refusing_port}/simple/"
    cli.configure(find_links=[], offline=False, pypi_index_url=index)
    line = _one_error_line(cli("search", "alpha", "--pypi"))
    assert line == f"error: The package index {index} could not be reached: Connection refused."


@pytest.mark.parametrize("engine", ["uv", "venv"])
def test_a_pypi_create_from_a_refusing_index_fails_in_one_line(cli, refusing_port, engine):
    index = f"http://127.0.0.1:{refusing_port}/simple/"
    cli.configure(find_links=[], offline=False, pypi_index_url=index)
    done = cli("create", "-n", "ml", "--engine", engine, "tiny-pkg")
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("[")]
    assert errors == [
        f"error: The package index {index} could not be reached: 127.0.0.1:{refusing_port} "
        "refused the connection (is the server running?)."
    ]
    assert _made(cli) == []


# ------------------------------------------------------------ names


@pytest.mark.parametrize("engine", ["uv", "rattler"])
def test_a_name_with_a_trailing_newline_is_refused(cli, engine):
    line = _one_error_line(cli("create", "-n", "victim\n", "--engine", engine))
    assert "Invalid environment name 'victim\\n'" in line
    assert _made(cli) == []
