"""Whether an environment can be pinned: every package must be rebuildable elsewhere.

An editable install (`pip install -e ./project`, or the older `setup.py develop`)
points at a source folder on this machine. A lock can only name it by that path,
so rebuilding the environment from the lock on another machine, or after the
folder changed, gives other code under the same version. Pinning refuses such an
environment and names the packages, instead of writing a pin that lies.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..core.errors import EnvManagerError
from ..core.site_packages import normalize_name, site_packages_dirs


class NotLockable(EnvManagerError):
    status = 422


def _dist_name(dist_info: Path) -> str:
    return normalize_name(dist_info.name[: -len(".dist-info")].partition("-")[0])


def editable_packages(prefix: str | Path) -> list[str]:
    """Names of the editable installs in the environment at `prefix`, sorted."""
    found: set[str] = set()
    for site in site_packages_dirs(Path(prefix)):
        for dist_info in site.glob("*.dist-info"):
            # PEP 610: installers record where a package came from in direct_url.json.
            try:
                origin = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(origin, dict) and (origin.get("dir_info") or {}).get("editable"):
                found.add(_dist_name(dist_info))
        # `setup.py develop` leaves a `<name>.egg-link` pointing at the source folder.
        found.update(normalize_name(link.stem) for link in site.glob("*.egg-link"))
    return sorted(found)


def check_lockable(name: str, prefix: str | Path) -> None:
    editable = editable_packages(prefix)
    if editable:
        shown = ", ".join(editable)
        what = "is an editable install" if len(editable) == 1 else "are editable installs"
        raise NotLockable(
            f"{name!r} cannot be pinned: {shown} {what} "
            "(pip install -e) whose code lives in a folder on this machine, so no lock "
            "can rebuild it elsewhere. Install a built version (pip install PACKAGE or a "
            "wheel) and pin again.",
            details={"editable": editable},
        )
