"""Environment fingerprints from conda-meta records and dist-info folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jupyter_env_manager.grid.errors import FingerprintMismatch
from jupyter_env_manager.grid.fingerprint import check_fingerprint, compute_fingerprint


def _prefix(root: Path) -> Path:
    (root / "conda-meta").mkdir(parents=True)
    (root / "conda-meta" / "numpy-2.1.0-py311h1234_0.json").write_text("{}")
    (root / "conda-meta" / "history").write_text("")
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "Scikit_Learn-1.5.0.dist-info").mkdir(parents=True)
    (site / "numpy").mkdir()
    return root


def _touch_later(path: Path) -> None:
    # Make sure the directory mtime moves even on coarse-grained file systems.
    later = time.time() + 5
    os.utime(path, (later, later))


def test_same_packages_same_fingerprint_anywhere(tmp_path: Path):
    a = compute_fingerprint(_prefix(tmp_path / "a"))
    b = compute_fingerprint(_prefix(tmp_path / "b"))
    assert a.digest == b.digest and (a.conda_packages, a.python_packages) == (1, 1)


def test_any_package_change_changes_it(tmp_path: Path):
    prefix = _prefix(tmp_path / "env")
    first = compute_fingerprint(prefix).digest
    site = prefix / "lib" / "python3.11" / "site-packages"
    (site / "Scikit_Learn-1.5.0.dist-info").rename(site / "scikit_learn-1.5.1.dist-info")
    _touch_later(site)
    second = compute_fingerprint(prefix).digest
    assert second != first
    meta = prefix / "conda-meta"
    (meta / "numpy-2.1.0-py311h1234_0.json").rename(meta / "numpy-2.1.0-py311h9999_1.json")
    _touch_later(meta)
    assert compute_fingerprint(prefix).digest not in (first, second)


def test_mismatch_is_refused_with_both_fingerprints(tmp_path: Path):
    prefix = _prefix(tmp_path / "env")
    with pytest.raises(FingerprintMismatch, match="does not match the grid's") as caught:
        check_fingerprint(prefix, "0" * 64)
    assert caught.value.details["found"] == compute_fingerprint(prefix).digest
    assert check_fingerprint(prefix, compute_fingerprint(prefix).digest).prefix == str(prefix)
