"""Read the Python packages installed in a prefix from their metadata files.

Listing packages must not start the environment's interpreter: reading
`*.dist-info` is milliseconds, `pip list` is a second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .models import Package

_NORMALIZE_RE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 normalisation, so `Jupyter_Client` and `jupyter-client` compare equal."""
    return _NORMALIZE_RE.sub("-", name).lower()


def site_packages_dirs(prefix: Path) -> list[Path]:
    """The site-packages directories of a POSIX or Windows prefix."""
    found = sorted(prefix.glob("lib/python*/site-packages"))
    windows = prefix / "Lib" / "site-packages"
    if windows.is_dir():
        found.append(windows)
    return found


def package_set_stamp(prefix: Path) -> tuple[int | None, ...]:
    """Modification times of the prefix and of the folders that gain or lose an entry
    when a package is added or removed (conda-meta, site-packages): a key for caches
    of anything derived from the installed package set."""
    stamps: list[int | None] = []
    for path in (prefix, prefix / "conda-meta", *site_packages_dirs(prefix)):
        try:
            stamps.append(path.stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def python_version(prefix: Path) -> str | None:
    """The Python version of a prefix, from pyvenv.cfg or the lib/pythonX.Y folder."""
    cfg = prefix / "pyvenv.cfg"
    if cfg.is_file():
        for line in cfg.read_text(errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() in {"version", "version_info"} and value.strip():
                return value.strip()
    for lib in sorted(prefix.glob("lib/python[0-9]*")):
        version = lib.name.removeprefix("python")
        if re.fullmatch(r"\d+\.\d+t?", version):
            return version.rstrip("t")
    return None


def _installer(dist_info: Path) -> str:
    try:
        return (dist_info / "INSTALLER").read_text().strip()
    except OSError:
        return ""


def _source_url(dist_info: Path) -> str | None:
    try:
        data = json.loads((dist_info / "direct_url.json").read_text())
    except (OSError, ValueError):
        return None
    url = data.get("url")
    return url if isinstance(url, str) else None


def list_pip_packages(prefix: Path, *, include_conda_installed: bool = False) -> list[Package]:
    """Packages with a `.dist-info` folder, sorted by normalised name.

    Packages whose INSTALLER is `conda` are conda packages seen from the Python
    side; they are skipped unless asked for, so a conda env does not list numpy twice.
    """
    # Imported here: discovery imports this module, and only package lists parse METADATA.
    from email.parser import HeaderParser

    packages: dict[str, Package] = {}
    for site in site_packages_dirs(prefix):
        for dist_info in site.glob("*.dist-info"):
            metadata = dist_info / "METADATA"
            if not metadata.is_file():
                continue
            if not include_conda_installed and _installer(dist_info) == "conda":
                continue
            headers = HeaderParser().parsestr(metadata.read_text(errors="replace"))
            name, version = headers.get("Name"), headers.get("Version")
            if not name or not version:
                continue
            packages[normalize_name(name)] = Package(
                name=normalize_name(name),
                version=version,
                source="pypi",
                url=_source_url(dist_info),
            )
    return [packages[key] for key in sorted(packages)]


def has_ipykernel(prefix: Path) -> bool:
    return any((site / "ipykernel").is_dir() for site in site_packages_dirs(prefix))
