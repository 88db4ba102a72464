"""Every format `export` writes is recognised by its content, whatever the file is
called (issue 12: `export --format lock -o env.lock` then `create -f env.lock`), and
the reader says what it recognised. The texts come from the real producers: conda
26.7.1's recorded outputs through the conda engine's export path, and the PyPI lock
and requirements writers the venv engines use."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_env_manager.core.engines.conda_parsers import export_to_yaml
from jupyter_env_manager.core.engines.pypi_lock import Pin, format_lock
from jupyter_env_manager.core.errors import InvalidRequest
from jupyter_env_manager.core.specfiles import read_spec_file

RECORDINGS = Path(__file__).parents[1] / "conda_cli" / "recordings"


def conda_export(what: str, **options) -> str:
    return export_to_yaml((RECORDINGS / f"conda-26.7.1_{what}").read_text(), **options)


EXPORTS = {
    "yml": (lambda: conda_export("env_export.json", name="demo"), "environment"),
    "no-builds": (lambda: conda_export("env_export_no_builds.json", name="demo"), "environment"),
    "from-history": (
        lambda: conda_export("env_export_from_history.json", name="demo"),
        "environment",
    ),
    "conda lock": (
        lambda: (RECORDINGS / "conda-26.7.1_list_explicit_md5.txt").read_text(),
        "conda-lock",
    ),
    "venv lock": (
        lambda: format_lock(
            "3.11.7",
            [Pin("tiny-pkg", "1.2", hashes=("a" * 64,)), Pin("rich", "13.0", hashes=("b" * 64,))],
            "# hashes from the wheelhouse",
        ),
        "pypi-lock",
    ),
    "requirements": (
        lambda: "# Python packages of this environment, pip-style.\nzeta==0.5\n",
        "requirements",
    ),
}


@pytest.mark.parametrize("fmt", list(EXPORTS))
@pytest.mark.parametrize("filename", ["env.lock", "exported", "environment.txt", "x.yml"])
def test_every_export_is_recognised_whatever_its_name(fmt, filename):
    make, kind = EXPORTS[fmt]
    text = make()
    if filename.endswith(".yml") and kind not in ("environment", "conda-lock"):
        # A .yml name promises YAML; a pip file called x.yml gets the YAML reading.
        with pytest.raises(InvalidRequest):
            read_spec_file(filename, text)
        return
    found = read_spec_file(filename, text)
    assert found.kind == kind
    assert found.describe() == f"Read {filename} as {found.label}"
    assert found.env_kind == ("venv" if kind in ("pypi-lock", "requirements") else "conda")
    if found.is_lock:
        assert found.spec is None
    else:
        assert found.spec.conda or found.spec.pip


def test_specs_read_from_an_export():
    found = read_spec_file("env.lock", conda_export("env_export_no_builds.json", name="demo"))
    assert found.spec.name == "demo"
    assert found.spec.conda == ["alpha=1.0", "gamma=1.5", "zeta=0.5"]
    assert found.spec.python == "3.11.7"


def test_labels_say_what_was_read():
    lock = (RECORDINGS / "conda-26.7.1_list_explicit_md5.txt").read_text()
    assert read_spec_file("env.lock", lock).describe() == "Read env.lock as a conda explicit lock"


def test_a_malformed_lock_names_its_line():
    lock = (RECORDINGS / "conda-26.7.1_list_explicit_md5.txt").read_text() + "not a url\n"
    with pytest.raises(InvalidRequest, match="Lock line 10"):
        read_spec_file("env.lock", lock)


def test_unrecognisable_content_says_what_was_expected():
    with pytest.raises(InvalidRequest) as caught:
        read_spec_file("notes.lock", "Dear diary, today I made an environment.")
    assert caught.value.message.startswith("Cannot tell what 'notes.lock' is")
    assert "\n" not in caught.value.message
