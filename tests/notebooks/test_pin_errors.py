"""What cannot be pinned or reproduced says so in one line, and changes nothing: an
environment with an editable install, a pin made on another platform (rebuilt from
its spec, and saying so), a notebook pinned by a newer schema."""

from __future__ import annotations

import json

from tests.grid.conftest import write_notebook
from tests.notebooks.editable import install_editable
from tests.notebooks.test_pin_reproduce import machine, pin_of


def test_an_env_with_an_editable_install_is_refused_naming_the_package(
    tmp_path, local_channel, wheelhouse
):
    user = machine(tmp_path / "a", local_channel, wheelhouse)
    user("create", "-n", "dev", "--engine", "uv", "tiny-pkg==1.2", check=True)
    install_editable(user.prefix("dev"), tmp_path)
    notebook = write_notebook(tmp_path / "dev.ipynb", "x = 1")
    before = notebook.read_bytes()

    refused = user("pin", str(notebook), "--env", "dev")
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "my-editable" in refused.stderr and "editable install" in refused.stderr
    assert notebook.read_bytes() == before  # no half-written pin


def test_a_pin_of_another_platform_is_rebuilt_from_its_spec_and_says_so(
    tmp_path, local_channel, wheelhouse
):
    user = machine(tmp_path / "a", local_channel, wheelhouse)
    user("create", "-n", "elsewhere", "alpha=1.0", "delta", check=True)
    notebook = write_notebook(tmp_path / "mac.ipynb", "x = 1")
    user("pin", str(notebook), "--env", "elsewhere", check=True)
    data = json.loads(notebook.read_text())
    data["metadata"]["jupyter_env_manager"]["pin"]["platform"] = "osx-arm64"
    notebook.write_text(json.dumps(data))
    user("remove", "-n", "elsewhere", "-y", check=True)

    done = user("reproduce", str(notebook))
    assert done.returncode == 0, done.stderr
    assert "rebuilt from the pinned spec (another platform" in done.stdout
    rebuilt = user.prefix("elsewhere")
    # The spec asked for alpha=1.0 and delta: the same request, solved here.
    assert any(p.name.startswith("alpha-1.0-") for p in (rebuilt / "conda-meta").iterdir())


def test_a_newer_pin_schema_is_refused_by_status_and_reproduce(tmp_path, local_channel, wheelhouse):
    user = machine(tmp_path / "a", local_channel, wheelhouse)
    notebook = write_notebook(tmp_path / "future.ipynb", "x = 1")
    data = json.loads(notebook.read_text())
    data["metadata"]["jupyter_env_manager"] = {"pin": {"schema": 2, "lock": "?"}}
    notebook.write_text(json.dumps(data))
    before = notebook.read_bytes()
    for command in ("status", "reproduce"):
        refused = user(command, str(notebook))
        assert refused.returncode not in (0, 3), (command, refused)
        assert refused.stderr.strip().count("\n") == 0, refused.stderr
        assert "pin schema 2" in refused.stderr and "upgrade" in refused.stderr
    assert notebook.read_bytes() == before
    assert pin_of(notebook) == {"schema": 2, "lock": "?"}
    assert user.json("list") == []
