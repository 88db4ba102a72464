"""The CLI engine's parsers on REAL recorded outputs (origins: recordings/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jupyter_env_manager.core.engines.conda_parsers import (
    error_from_output,
    export_to_yaml,
    extract_json,
    parse_info,
    parse_list,
    parse_search,
    parse_transaction,
)
from jupyter_env_manager.core.errors import EngineFailure, PackagesNotFound, Unsatisfiable
from jupyter_env_manager.core.info import parse_version_output
from jupyter_env_manager.core.specfiles import is_explicit_lock, parse_explicit_lock

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> str:
    return (RECORDINGS / name).read_text()


@pytest.mark.parametrize(
    ("tool", "name", "expected"),
    [
        ("mamba", "mamba-2.0.8_version.txt", "2.0.8"),
        ("mamba", "mamba-1.4.7_version.txt", "1.4.7"),
        ("mamba", "mamba-1.5.11_version.txt", "1.5.11"),
    ],
)
def test_version_is_the_tools_own_not_condas(tool, name, expected):
    assert parse_version_output(recording(name), tool) == expected


def test_micromamba_info_shape():
    info = parse_info(recording("micromamba-0.17.0_info.json"))
    assert info.root_prefix == Path("/home/adrien/micromamba")
    assert info.version == "0.17.0"
    assert info.platform == "linux-64"
    assert info.channels[0] == "https://conda.anaconda.org/conda-forge/linux-64"


def test_conda_env_list_gives_every_prefix():
    info = parse_info(recording("conda-4.4_env_list_windows.json"))
    assert [str(p) for p in info.envs] == [
        "C:\\Miniconda3",
        "C:\\Miniconda3\\envs\\my-first-env",
        "C:\\Miniconda3\\envs\\test_project",
    ]
    assert info.root_prefix is None


@pytest.mark.skip(
    reason="no complete real `conda info --json` recording was found (recordings/README.md)"
)
def test_conda_info_root_prefix_and_envs_dirs():  # pragma: no cover
    raise AssertionError


def test_list_records_keep_build_channel_and_checksum():
    (shark,) = parse_list(recording("mamba_list_shark.json"))
    assert (shark.name, shark.version, shark.build, shark.channel) == (
        "shark",
        "1.2.0",
        "h077b44d_5",
        "bioconda",
    )
    assert shark.source == "conda"
    assert shark.sha256 and shark.sha256.startswith("919e8f06")
    assert shark.url and shark.url.endswith("shark-1.2.0-h077b44d_5.tar.bz2")


def test_list_with_null_base_url_and_platform():
    (pkg,) = parse_list(recording("conda-4.6_list_local_build.json"))
    assert (pkg.name, pkg.version, pkg.build, pkg.channel) == (
        "testhash",
        "1.0.0",
        "haw3s0m3ha5h",
        "local",
    )
    assert pkg.url is None


def test_dry_run_after_dryrunexit_line_is_a_plan():
    text = recording("mamba-0.x_create_dry_run_zlib.txt")
    assert text.startswith("DryRunExit")
    plan = parse_transaction(text, dry_run=True)
    assert plan.dry_run is True
    assert [(c.name, c.action, c.new_version, c.old_version) for c in plan.changes] == [
        ("zlib", "install", "1.2.11", None)
    ]


def test_empty_dry_run_is_an_empty_plan():
    plan = parse_transaction(recording("conda_create_dry_run_empty.json"), dry_run=True)
    assert plan.changes == ()


def test_packages_not_found_json_names_the_packages():
    error = error_from_output(
        "conda", 1, recording("conda-4.13.0_install_dry_run_packages_not_found.json"), ""
    )
    assert isinstance(error, PackagesNotFound)
    assert error.names == ["xyz"]
    assert error.status == 422
    assert "xyz" in error.message


def test_mamba1_plain_text_solver_failure_still_maps():
    error = error_from_output(
        "mamba", 1, recording("mamba-0.x_install_dry_run_packages_not_found.txt"), ""
    )
    assert isinstance(error, PackagesNotFound)
    assert error.names == ["xyz"]


def test_legacy_unsatisfiable_after_progress_bar():
    error = error_from_output("conda", 1, recording("conda-3.x_create_unsatisfiable.txt"), "")
    assert type(error) is Unsatisfiable
    assert "python 2.7*" in error.message and "python 3.5*" in error.message


def test_unknown_failure_is_engine_failure_with_output():
    error = error_from_output("conda", 2, "", "CondaHTTPError: HTTP 000 CONNECTION FAILED")
    assert isinstance(error, EngineFailure)
    assert error.status == 500
    assert "CONNECTION FAILED" in error.message


def test_micromamba_env_export_becomes_environment_yml():
    text = export_to_yaml(recording("micromamba-2.0_env_export_empty.json"))
    data = yaml.safe_load(text)
    # The machine-specific prefix is dropped; channels is always present.
    assert data == {"name": "empty", "channels": [], "dependencies": []}


def test_explicit_locks_are_recognised_and_urls_read():
    urls = parse_explicit_lock(recording("explicit_md5_pip.txt"))
    assert urls == [
        "https://conda.anaconda.org/conda-forge/noarch/pip-24.3.1-pyh145f28c_2.conda"
        "#76601b0ccfe1fe13a21a5f8813cb38de"
    ]
    assert len(parse_explicit_lock(recording("explicit_raven.txt"))) == 8
    assert not is_explicit_lock(recording("conda_env_export_from_history.yml"))


def test_extract_json_refuses_text_without_json():
    with pytest.raises(ValueError):
        extract_json(recording("mamba-0.x_install_dry_run_packages_not_found.txt"))


@pytest.mark.skip(reason="no real `conda search --json` recording was found (recordings/README.md)")
def test_search_records():  # pragma: no cover
    parse_search("")
