"""The conda-meta readers/writers shared with the conda CLI engine, and the channel builder."""

from __future__ import annotations

import hashlib
import json
import tarfile

from jupyter_env_manager.core.conda_prefix import (
    append_history,
    channel_name,
    list_conda_packages,
    read_history,
    spec_name,
)

from .channel_builder import default_packages


def test_spec_names():
    assert spec_name("conda-forge::NumPy>=2") == "numpy"
    assert spec_name("python=3.11") == "python"
    assert spec_name("alpha 1.0 h1_0") == "alpha"
    assert spec_name("scikit-learn[version='>1']") == "scikit-learn"


def test_channel_names_shorten_anaconda_org_only():
    assert channel_name("https://conda.anaconda.org/conda-forge/") == "conda-forge"
    assert channel_name("file:///srv/chan/") == "file:///srv/chan"
    assert channel_name(None) is None


def test_history_replays_requests_in_order(tmp_path):
    prefix = tmp_path / "env"
    record = {"name": "alpha", "version": "1.0", "build": "h_0", "channel": "file:///c/"}
    append_history(prefix, command="create", added=[record], update_specs=["alpha", "beta<2"])
    append_history(prefix, command="install", update_specs=["alpha>=1"], pip_requested=["x==1"])
    append_history(prefix, command="remove", removed=[record], remove_specs=["beta"])
    append_history(prefix, command="pip", pip_removed=["x"])
    history = read_history(prefix)
    assert history.conda == {"alpha": "alpha>=1"}
    assert history.pip == {}
    text = (prefix / "conda-meta" / "history").read_text()
    assert "+file:///c::alpha-1.0-h_0" in text and "-file:///c::alpha-1.0-h_0" in text


def test_history_tolerates_garbage_and_missing_file(tmp_path):
    assert read_history(tmp_path).conda == {}
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "history").write_text(
        "==> 2024 <==\n# update specs: [not python\n# update specs: a, b>=1\n"
        "# install specs: ['c']\n# neutered specs: ['c<2']\n+junk\n"
    )
    assert read_history(tmp_path).conda == {"a": "a", "b": "b>=1", "c": "c<2"}


def test_broken_records_are_skipped(tmp_path):
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "good-1-0.json").write_text(json.dumps({"name": "good", "version": "1"}))
    (meta / "bad.json").write_text("{not json")
    (meta / "other.json").write_text("[]")
    assert [p.name for p in list_conda_packages(tmp_path)] == ["good"]


def test_channel_packages_have_true_hashes(channel_dir, channel_url):
    repodata = json.loads((channel_dir / "noarch" / "repodata.json").read_text())
    names = {(r["name"], r["version"]) for r in repodata["packages"].values()}
    assert {("alpha", "1.0"), ("alpha", "2.0"), ("beta", "1.0"), ("gamma", "2.0")} <= names
    assert len(repodata["packages"]) + 1 == len(default_packages())  # + python (platform)
    archive = next((channel_dir / "noarch").glob("activator-*.tar.bz2"))
    with tarfile.open(archive) as tar:
        paths = json.loads(tar.extractfile("info/paths.json").read())["paths"]
        for entry in paths:
            data = tar.extractfile(entry["_path"]).read()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["size_in_bytes"]
