"""`jupyter env-manager` environment verbs, run as a user runs them.

The CLI reads the same Jupyter config files as the server: the tests point
JUPYTER_CONFIG_DIR at a folder whose config aims the rattler engine at a local
channel and keeps every directory inside the test's tmp folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli_user import CliUser
from tests.rattler.channel_builder import build_channel


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> str:
    return build_channel(tmp_path_factory.mktemp("channel"))


@pytest.fixture
def cli(tmp_path: Path, channel: str) -> CliUser:
    return CliUser(
        tmp_path, {"default_engine": "rattler", "channels": [channel], "offline": True},
        timeout=120,
    )  # fmt: skip


def test_create_list_packages_export_remove(cli):
    created = cli("create", "-n", "demo", "beta", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["engine"] == "rattler"
    assert "[link]" in created.stderr or "[solve]" in created.stderr  # plain progress lines

    listed = json.loads(cli("list", "--json").stdout)
    assert [(e["name"], e["kind"]) for e in listed] == [("demo", "conda")]

    packages = json.loads(cli("packages", "-n", "demo", "--json").stdout)
    assert {"alpha", "beta"} <= {p["name"] for p in packages}

    exported = cli("export", "-n", "demo", "--format", "from-history")
    assert exported.returncode == 0, exported.stderr
    assert yaml.safe_load(exported.stdout)["dependencies"] == ["beta"]

    refused = cli("remove", "-n", "demo")  # no terminal to confirm on, no --yes
    assert refused.returncode != 0
    assert "--yes" in refused.stderr
    assert (cli.tmp / "envs" / "demo").exists()

    removed = cli("remove", "-n", "demo", "-y")
    assert removed.returncode == 0, removed.stderr
    assert not (cli.tmp / "envs" / "demo").exists()
    assert json.loads(cli("list", "--json").stdout) == []


def test_install_previews_then_applies(cli):
    assert cli("create", "-n", "work", "alpha").returncode == 0
    preview = cli("install", "-n", "work", "gamma", "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    plan = json.loads(preview.stdout)
    assert plan["dry_run"] is True
    assert [c["name"] for c in plan["changes"]] == ["gamma"]
    names = {p["name"] for p in json.loads(cli("packages", "-n", "work", "--json").stdout)}
    assert "gamma" not in names

    applied = cli("install", "-n", "work", "gamma", "-y")
    assert applied.returncode == 0, applied.stderr
    assert "gamma" in applied.stdout  # the plan is shown before it is applied
    names = {p["name"] for p in json.loads(cli("packages", "-n", "work", "--json").stdout)}
    assert "gamma" in names


def test_create_from_exported_file(cli):
    assert cli("create", "-n", "orig", "delta").returncode == 0
    lock = cli.tmp / "orig.lock"
    assert cli("export", "-n", "orig", "--format", "lock", "-o", str(lock)).returncode == 0
    rebuilt = cli("create", "-n", "copy", "-f", str(lock))
    assert rebuilt.returncode == 0, rebuilt.stderr

    def identity(name):
        rows = json.loads(cli("packages", "-n", name, "--json").stdout)
        return sorted((p["name"], p["version"], p["build"]) for p in rows)

    assert identity("copy") == identity("orig")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "-n", "../evil", "alpha"), "must not contain '..'"),
        (("create", "-n", "x", "no-such-pkg"), "no-such-pkg"),
        (("create", "-n", "x", "alpha", "--engine", "conda"), "not installed"),
        (("remove", "-n", "missing", "-y"), "No environment named 'missing'"),
        (("export", "-n", "missing"), "No environment named 'missing'"),
        (("create", "-n", "x", "-f", "/nonexistent/environment.yml"), "Cannot read"),
        (("update", "-n", "missing"), "--all"),
    ],
)
def test_bad_input_fails_with_a_message_and_creates_nothing(cli, args, message):
    done = cli(*args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    envs = cli.tmp / "envs"
    assert not envs.exists() or list(envs.iterdir()) == []
