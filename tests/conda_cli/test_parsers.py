"""The CLI engine's parsers on REAL recorded outputs (origins: recordings/README.md).

conda's are recorded from conda 26.7.1 by record_conda.py; mamba's and micromamba's
are outputs their users and maintainers pasted publicly.
"""

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
from jupyter_env_manager.core.errors import (
    EngineFailure,
    EnvironmentNotFound,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from jupyter_env_manager.core.info import parse_version_output
from jupyter_env_manager.core.specfiles import is_explicit_lock, parse_explicit_lock

CONDA = "conda-26.7.1"
DEMO = "/tmp/jem-record-conda/base/envs/demo"
CHANNEL = "file:///tmp/jem-record-conda/channel"

RECORDINGS = Path(__file__).parent / "recordings"


def recording(name: str) -> str:
    return (RECORDINGS / name).read_text()


@pytest.mark.parametrize(
    ("tool", "name", "expected"),
    [
        ("mamba", "mamba-2.0.8_version.txt", "2.0.8"),
        ("mamba", "mamba-1.4.7_version.txt", "1.4.7"),
        ("mamba", "mamba-1.5.11_version.txt", "1.5.11"),
        ("conda", f"{CONDA}_version.txt", "26.7.1"),
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


def conda_recording(what: str) -> str:
    return recording(f"{CONDA}_{what}")


def test_conda_info_root_envs_dirs_and_solver():
    info = parse_info(conda_recording("info.json"))
    assert info.root_prefix == Path("/tmp/jem-record-conda/base")
    assert info.envs_dirs[0] == Path("/tmp/jem-record-conda/base/envs")
    assert Path(DEMO) in info.envs
    assert (info.version, info.platform, info.solver) == ("26.7.1", "linux-64", "classic")


def test_conda_env_list_gives_every_prefix():
    info = parse_info(conda_recording("env_list.json"))
    assert [str(p) for p in info.envs] == ["/tmp/jem-record-conda/base", DEMO]


def test_list_records_keep_build_channel_and_checksum():
    packages = parse_list(conda_recording("list.json"))
    assert [(p.name, p.version, p.build, p.channel) for p in packages] == [
        ("alpha", "1.0", "h4f07532_0", "channel"),
        ("gamma", "1.0", "h72c9253_0", "channel"),
        ("python", "3.11.7", "h85a2ab6_0", "channel"),
        ("zeta", "0.5", "h1f21906_0", "channel"),
    ]
    assert all(p.source == "conda" for p in packages)


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("create_dry_run.json",
         [("alpha", "install", None, "1.0"), ("beta", "install", None, "1.0")]),
        ("install_dry_run.json", [("delta", "install", None, "1.0")]),
        ("update_dry_run.json", [("gamma", "update", "1.0", "2.0")]),
        ("install.json", [("gamma", "update", "1.0", "1.5")]),
        ("install_downgrade_dry_run.json", [("gamma", "downgrade", "1.5", "1.0")]),
        ("remove_dry_run.json", [("alpha", "remove", "1.0", None)]),
        ("install_nothing_to_do.json", []),
        ("remove_all.json", [
            ("alpha", "remove", "1.0", None), ("gamma", "remove", "1.5", None),
            ("python", "remove", "3.11.7", None), ("zeta", "remove", "0.5", None),
        ]),
    ],
)  # fmt: skip
def test_transactions_become_plans(what, expected):
    plan = parse_transaction(conda_recording(what), dry_run="dry_run" in what)
    assert [(c.name, c.action, c.old_version, c.new_version) for c in plan.changes] == expected


def test_mamba1_dry_run_after_dryrunexit_line_is_a_plan():
    text = recording("mamba-0.x_create_dry_run_zlib.txt")
    assert text.startswith("DryRunExit")
    plan = parse_transaction(text, dry_run=True)
    assert plan.dry_run is True
    assert [(c.name, c.action, c.new_version, c.old_version) for c in plan.changes] == [
        ("zlib", "install", "1.2.11", None)
    ]


def test_search_records():
    found = parse_search(conda_recording("search.json"))
    assert [(p.name, p.version) for p in found] == [
        ("gamma", "1.0"),
        ("gamma", "1.5"),
        ("gamma", "2.0"),
    ]
    assert all(p.url.startswith(CHANNEL) and p.sha256 for p in found)


def _error(what: str):
    return error_from_output("conda", 1, conda_recording(what), "")


def test_packages_not_found_names_packages_and_channel():
    error = _error("install_packages_not_found.json")
    assert isinstance(error, PackagesNotFound) and error.status == 422
    assert error.names == ["surely-not-a-package"]
    assert error.message == f"Packages not found on {CHANNEL}: surely-not-a-package"


def test_search_not_found_is_packages_not_found():
    assert isinstance(_error("search_not_found.json"), PackagesNotFound)


def test_unsatisfiable_names_the_conflicting_chains():
    error = _error("create_unsatisfiable.json")
    assert type(error) is Unsatisfiable
    assert error.message == (
        "These packages cannot be installed together: beta -> alpha[version='<2'] "
        "conflicts with alpha[version='>=2']."
    )
    assert "Package alpha conflicts for" in error.details["output"]


def test_missing_channel_is_bad_input_naming_it():
    error = _error("create_unavailable_channel.json")
    assert isinstance(error, InvalidRequest) and error.status == 400
    assert error.message.startswith("Channel file:///nonexistent is not available")
    assert "\n" not in error.message


def test_unreachable_channel_is_one_line():
    error = _error("create_connection_failed.json")
    assert isinstance(error, EngineFailure)
    assert error.message == (
        "Could not reach channel http://127.0.0.1:18118/chan: CONNECTION FAILED (HTTP 000)."
    )


def test_removing_what_is_not_installed_is_bad_input():
    error = _error("remove_not_installed.json")
    assert isinstance(error, InvalidRequest)
    assert "beta" in error.message and "\n" not in error.message


def test_listing_a_non_env_is_not_found():
    error = _error("list_not_an_env.json")
    assert isinstance(error, EnvironmentNotFound) and "\n" not in error.message


def test_verbose_conda_prints_a_traceback_whose_last_line_is_the_error():
    stderr = conda_recording("install_vv_packages_not_found.stderr.txt")
    error = error_from_output("conda", 1, "", stderr)
    assert isinstance(error, EngineFailure)
    assert error.message.startswith("conda failed: The following packages are not available")


def test_mamba1_plain_text_solver_failure_still_maps():
    error = error_from_output(
        "mamba", 1, recording("mamba-0.x_install_dry_run_packages_not_found.txt"), ""
    )
    assert isinstance(error, PackagesNotFound)
    assert error.names == ["xyz"]


def test_unknown_failure_is_engine_failure_with_output():
    error = error_from_output("conda", 2, "", "something broke\nbadly")
    assert isinstance(error, EngineFailure) and error.status == 500
    assert error.message == "conda exited with code 2: something broke badly"


@pytest.mark.parametrize(
    ("what", "fmt", "expected"),
    [
        ("env_export.json", "yml",
         ["alpha=1.0=h4f07532_0", "gamma=1.5=hb6f523b_0", "python=3.11.7=h85a2ab6_0",
          "zeta=0.5=h1f21906_0"]),
        ("env_export_no_builds.json", "no-builds",
         ["alpha=1.0", "gamma=1.5", "python=3.11.7", "zeta=0.5"]),
        ("env_export_from_history.json", "from-history", ["gamma=1.5", "alpha=1.0", "zeta"]),
    ],
)  # fmt: skip
def test_conda_env_export_becomes_environment_yml(what, fmt, expected):
    data = yaml.safe_load(export_to_yaml(conda_recording(what), name="demo"))
    assert data["name"] == "demo" and "prefix" not in data
    assert data["dependencies"] == expected
    assert data["channels"] == ([] if fmt == "from-history" else [CHANNEL])


def test_build_strings_are_stripped_for_tools_without_no_builds():
    data = yaml.safe_load(export_to_yaml(conda_recording("env_export.json"), no_builds=True))
    assert data["dependencies"] == ["alpha=1.0", "gamma=1.5", "python=3.11.7", "zeta=0.5"]


def test_micromamba_env_export_becomes_environment_yml():
    text = export_to_yaml(recording("micromamba-2.0_env_export_empty.json"))
    data = yaml.safe_load(text)
    # The machine-specific prefix is dropped; channels is always present.
    assert data == {"name": "empty", "channels": [], "dependencies": []}


def test_mamba2_yaml_printed_for_json_export_is_read():
    # mamba 2.0.1 answered `env export --json` with YAML (mamba-org/mamba#3492). No
    # complete copy of that output is public; this is conda's recorded export in the
    # YAML shape that issue shows.
    exported = yaml.safe_dump(
        {"name": "demo", "channels": [CHANNEL], "dependencies": ["alpha=1.0=h4f07532_0"]},
        sort_keys=False,
    )
    data = yaml.safe_load(export_to_yaml(exported, no_builds=True))
    assert data == {"name": "demo", "channels": [CHANNEL], "dependencies": ["alpha=1.0"]}


def test_explicit_locks_are_recognised_and_urls_read():
    urls = parse_explicit_lock(conda_recording("list_explicit_md5.txt"))
    assert [url.rsplit("/", 1)[1].split("#")[0] for url in urls] == [
        "alpha-1.0-h4f07532_0.tar.bz2",
        "gamma-1.5-hb6f523b_0.tar.bz2",
        "python-3.11.7-h85a2ab6_0.tar.bz2",
        "zeta-0.5-h1f21906_0.tar.bz2",
    ]
    assert all(len(url.split("#")[1]) == 32 for url in urls)
    assert not is_explicit_lock(conda_recording("env_export_from_history.json"))


def test_extract_json_refuses_text_without_json():
    with pytest.raises(ValueError):
        extract_json(recording("mamba-0.x_install_dry_run_packages_not_found.txt"))
