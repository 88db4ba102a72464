"""Small readers the tests use to look at prefixes independently of the engine's code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def installed_versions(prefix: Path) -> dict[str, str]:
    """name -> version, read straight from conda-meta/*.json."""
    result = {}
    for path in (prefix / "conda-meta").glob("*.json"):
        record = json.loads(path.read_text())
        result[record["name"]] = record["version"]
    return result


def installed_records(prefix: Path) -> dict[str, dict]:
    return {
        json.loads(p.read_text())["name"]: json.loads(p.read_text())
        for p in (prefix / "conda-meta").glob("*.json")
    }


def tree_snapshot(prefix: Path) -> dict[str, str]:
    """Every file and link of a prefix with a content hash: equal snapshots = nothing changed."""
    snapshot = {}
    for path in sorted(prefix.rglob("*")):
        rel = str(path.relative_to(prefix))
        if path.is_symlink():
            snapshot[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            snapshot[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            snapshot[rel] = "dir"
    return snapshot
