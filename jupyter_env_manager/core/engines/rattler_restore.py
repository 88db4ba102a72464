"""Put a conda prefix back to a recorded set of packages with rattler.

rattler's install diffs the records in conda-meta against the wanted set and
links or unlinks whole packages. Two states a killed transaction leaves are
invisible to that diff, so they are handled here first:

- a package that was being linked has files on disk but no record yet: its files
  are found from the package's own `info/paths.json` in the package cache (a
  package is extracted there before any file is linked) and deleted, unless a
  recorded package owns the same path;
- a package that was being unlinked still has its record but lost files: it is
  not treated as installed, so rattler links it again.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..models import ProgressCallback, ProgressEvent, ignore_progress
from .rattler_install import finish_in_place, start_install

try:  # see rattler_install: rattler may be missing, imports must not fail.
    from rattler import PrefixRecord
except ImportError:  # pragma: no cover
    PrefixRecord = None  # type: ignore[assignment,misc]


def _key(record: Mapping[str, Any]) -> tuple[str, str]:
    return str(record.get("url") or record.get("fn") or record.get("name")), str(
        record.get("sha256") or ""
    )


def _record_paths(record: Mapping[str, Any]) -> list[str]:
    paths = (record.get("paths_data") or {}).get("paths") or []
    found = [str(p["_path"]) for p in paths if isinstance(p, dict) and p.get("_path")]
    return found or [str(f) for f in record.get("files") or []]


def _intact(prefix: Path, record: Mapping[str, Any]) -> bool:
    return all(os.path.lexists(prefix / path) for path in _record_paths(record))


def _extracted_dir(packages_dir: Path, record: Mapping[str, Any]) -> Path:
    url = str(record.get("url") or "")
    if url.startswith("cached:"):
        return Path(url.removeprefix("cached:"))
    name = str(record.get("fn") or record.get("file_name") or "")
    for suffix in (".tar.bz2", ".conda"):
        name = name.removesuffix(suffix)
    return packages_dir / name


def _python_site(records: Iterable[Mapping[str, Any]]) -> str | None:
    for record in records:
        if record.get("name") == "python":
            major_minor = ".".join(str(record.get("version")).split(".")[:2])
            return f"lib/python{major_minor}/site-packages"
    return None


def _package_paths(packages_dir: Path, record: Mapping[str, Any], site: str | None) -> list[str]:
    """The prefix paths a package links, read from its extracted copy in the cache."""
    try:
        data = json.loads(
            (_extracted_dir(packages_dir, record) / "info" / "paths.json").read_text()
        )
    except (OSError, ValueError):
        return []
    paths = [str(p["_path"]) for p in data.get("paths", []) if p.get("_path")]
    if record.get("noarch") == "python":
        # noarch: python packages are relocated into the prefix's Python.
        relocated = []
        for path in paths:
            if path.startswith("site-packages/") and site:
                relocated.append(site + path.removeprefix("site-packages"))
            elif path.startswith("python-scripts/"):
                relocated.append("bin" + path.removeprefix("python-scripts"))
            else:
                relocated.append(path)
        paths = relocated
    return paths


def _delete_strays(prefix: Path, paths: Iterable[str], owned: set[str]) -> int:
    deleted = 0
    parents: set[Path] = set()
    for relative in paths:
        if relative in owned:
            continue
        path = prefix / relative
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            path.unlink()
            deleted += 1
            parents.add(path.parent)
    # Folders the package made and nothing else fills (a Python leaves __pycache__).
    for folder in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        while folder != prefix and prefix in folder.parents:
            cache = folder / "__pycache__"
            if cache.is_dir() and not any(c.suffix != ".pyc" for c in cache.iterdir()):
                for compiled in cache.iterdir():
                    compiled.unlink()
                cache.rmdir()
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
    return deleted


def _extracted_in(folders: Sequence[Path]) -> list[dict[str, Any]]:
    found = []
    for folder in folders:
        for index in Path(folder).glob("*/info/index.json"):
            try:
                data = json.loads(index.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("name"):
                # Keyed by folder name; never equal to a record's url key, so checked.
                data["fn"] = index.parent.parent.name
                data.setdefault("url", f"cached:{index.parent.parent}")
                found.append(data)
    return found


def _as_records(raw: Sequence[Mapping[str, Any]]) -> list[Any]:
    """rattler records from conda-meta JSON (rattler reads them only from files)."""
    with tempfile.TemporaryDirectory(prefix="jem-restore-") as tmp:
        records = []
        for index, record in enumerate(raw):
            path = Path(tmp) / f"{index}.json"
            path.write_text(json.dumps(record), encoding="utf-8")
            records.append(PrefixRecord.from_path(path))
        return records


def _on_disk(prefix: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("name"):
            found.append((path, data))
    return found


async def restore_conda_records(
    prefix: Path,
    records: Sequence[Mapping[str, Any]],
    *,
    packages_dir: Path,
    platform: str,
    interrupted: Sequence[Mapping[str, Any]] = (),
    cached_in: Sequence[Path] = (),
    progress: ProgressCallback = ignore_progress,
) -> None:
    """Make `prefix` hold exactly the packages of `records` (conda-meta JSON).

    `interrupted`: the records a killed transaction was installing; the files of
    those that never got a record are deleted first. `cached_in`: package folders of
    a tool that did not say what it was installing (conda): every package extracted
    there counts as possibly half linked.
    """
    prefix = Path(prefix)
    # A record the killed tool was writing (conda then refuses the whole prefix).
    for path in (prefix / "conda-meta").glob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            path.unlink()
    interrupted = [*interrupted, *_extracted_in(cached_in)]
    wanted = {_key(r): r for r in records}
    present = _on_disk(prefix)
    recorded_keys = {_key(data) for _path, data in present}
    owned = {path for _p, data in present for path in _record_paths(data)}
    site = _python_site([*records, *(d for _p, d in present), *interrupted])
    strays = 0
    for record in interrupted:
        if _key(record) in recorded_keys:
            continue  # it finished linking: rattler's diff unlinks it like any other
        strays += _delete_strays(prefix, _package_paths(packages_dir, record, site), owned)
    if strays:
        progress(ProgressEvent("restore", f"Deleted {strays} files of half-linked packages"))
    # A wanted package that lost files is linked again; everything else recorded is
    # what rattler compares against.
    installed = [
        path for path, data in present if _key(data) not in wanted or _intact(prefix, data)
    ]
    progress(ProgressEvent("restore", f"Restoring {len(records)} packages in {prefix}"))
    tag = prefix / "CACHEDIR.TAG"
    had_tag = tag.exists()
    task = start_install(
        _as_records(list(wanted.values())),
        prefix,
        progress,
        packages_dir=packages_dir,
        platform=platform,
        installed=[PrefixRecord.from_path(path) for path in installed],
    )
    cancelled = await finish_in_place(task, f"Restoring {prefix}")
    if not had_tag and "created by rattler" in _text(tag):
        tag.unlink()  # rattler tags the prefix it installs into; conda's had none
    if cancelled:
        raise asyncio.CancelledError


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
