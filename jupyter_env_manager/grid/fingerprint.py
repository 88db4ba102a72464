"""The lock fingerprint of an environment: a hash of its exact installed package set.

Read from the file system only, so it costs milliseconds and needs no interpreter:

- `conda-meta/<name>-<version>-<build>.json`: conda names each package record after
  its name, version and build, so the file names are the conda lock;
- `<site-packages>/<name>-<version>.dist-info` (and `.egg-info`): the Python packages,
  conda-installed or not, as `name==version` with PEP 503 names.

Two machines with the same fingerprint have the same packages (same builds for
conda packages), which is what "the same environment on every machine" means. The
result is cached per prefix, keyed by the modification times of the scanned
directories (adding or removing a package renames or creates an entry in one).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..core.site_packages import normalize_name, package_set_stamp, site_packages_dirs
from .errors import FingerprintMismatch

_DIST_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class Fingerprint:
    prefix: str
    digest: str
    conda_packages: int
    python_packages: int

    @property
    def short(self) -> str:
        return self.digest[:12]


def _conda_entries(prefix: Path) -> list[str]:
    try:
        names = os.listdir(prefix / "conda-meta")
    except OSError:
        return []
    return sorted(f"conda:{n[: -len('.json')]}" for n in names if n.endswith(".json"))


def _python_entries(prefix: Path) -> list[str]:
    entries: set[str] = set()
    for site in site_packages_dirs(prefix):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in names:
            suffix = next((s for s in _DIST_SUFFIXES if name.endswith(s)), None)
            if suffix is None:
                continue
            stem = name[: -len(suffix)]
            # `<name>-<version>`: distribution names are escaped so they never contain "-".
            dist, sep, version = stem.partition("-")
            if sep:
                # Egg-info versions may carry a `-py3.11` tag; the version is what matters.
                version = version.split("-py", 1)[0]
                entries.add(f"pypi:{normalize_name(dist)}=={version}")
    return sorted(entries)


def package_entries(prefix: str | Path) -> list[str]:
    """What the fingerprint hashes: `conda:<name>-<version>-<build>` and
    `pypi:<name>==<version>`, sorted (the package set, readable)."""
    path = Path(os.path.abspath(prefix))
    return _conda_entries(path) + _python_entries(path)


_cache: dict[str, tuple[tuple[int | None, ...], Fingerprint]] = {}
_cache_lock = threading.Lock()


def compute_fingerprint(prefix: str | Path) -> Fingerprint:
    """The fingerprint of the environment at `prefix` (absolute path, not resolved)."""
    path = Path(os.path.abspath(prefix))
    stamp = package_set_stamp(path)
    key = str(path)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    conda = _conda_entries(path)
    python = _python_entries(path)
    digest = hashlib.sha256("\n".join(conda + python).encode()).hexdigest()
    fingerprint = Fingerprint(
        prefix=key, digest=digest, conda_packages=len(conda), python_packages=len(python)
    )
    with _cache_lock:
        _cache[key] = (stamp, fingerprint)
    return fingerprint


def check_fingerprint(prefix: str | Path, expected: str | None, *, host: str = "") -> Fingerprint:
    """Refuse (FingerprintMismatch) when the environment here differs from the planned one."""
    found = compute_fingerprint(prefix)
    if expected is not None and found.digest != expected:
        where = f" on {host}" if host else ""
        raise FingerprintMismatch(
            f"The environment {found.prefix}{where} does not match the grid's: its package "
            f"fingerprint is {found.short}, the grid was planned with {expected[:12]}. "
            "Install the same packages there (export the lock file and recreate the "
            "environment), or start a new grid.",
            details={"prefix": found.prefix, "expected": expected, "found": found.digest},
        )
    return found
