"""Package caches (rattler's, conda's `pkgs_dirs`, uv's): their size, and cleaning
what no environment uses.

conda-layout caches (rattler's `pkgs/`, every conda `pkgs_dirs` entry) hold one
extracted folder per package, tarballs (`.tar.bz2`, `.conda`) and lock files.
A clean, like `conda clean --packages --tarballs`, removes:

- extracted packages none of whose files is linked into a listed environment
  (checked by inode) nor hard-linked anywhere else (`st_nlink > 1`: an env this
  tool does not list, which conda's own clean protects the same way);
- every tarball (a re-download or the extracted folder replaces it);
- lock files of packages no longer there, and leftovers of interrupted downloads.

A package whose lock rattler holds right now (being extracted) is kept. Index
caches (repodata) are counted but kept: offline, they cannot be fetched again.

uv's cache is uv's to clean (`uv cache prune`, which knows its own layout); its
preview is the bytes of cache files no listed environment links to, an upper
bound of what prune frees (`estimate: true`), and the clean reports what it
measured.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import conda_config
from .disk import Inode, walk_inodes
from .paths import disk_bytes, unique_paths

TARBALL_SUFFIXES = (".tar.bz2", ".conda")
_TEMP_SUFFIXES = (".partial", ".tmp", ".trash")


@dataclass(frozen=True)
class CleanItem:
    path: str
    what: str  # "package", "tarball", "lock", "temp"
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "what": self.what, "bytes": self.bytes}


@dataclass
class CachePlan:
    """One cache: its size, what a clean would remove, and what it keeps."""

    kind: str  # "rattler", "conda", "uv"
    path: str
    size_bytes: int = 0
    items: list[CleanItem] = field(default_factory=list)
    kept_in_use: int = 0
    writable: bool = True
    estimate: bool = False
    note: str | None = None
    estimated_bytes: int = 0

    @property
    def reclaimable_bytes(self) -> int:
        return self.estimated_bytes if self.estimate else sum(i.bytes for i in self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "size_bytes": self.size_bytes,
            "reclaimable_bytes": self.reclaimable_bytes,
            "estimate": self.estimate,
            "items": [i.to_json() for i in self.items],
            "kept_in_use": self.kept_in_use,
            "writable": self.writable,
            "note": self.note,
        }


# -- where the caches are ---------------------------------------------------------


def _condarc_pkgs_dirs(environ: Mapping[str, str], root: Path | None) -> list[str]:
    entries: list[str] = []
    # Files later on conda's search path win, as for envs_dirs.
    for path in reversed(conda_config._search_path(environ, root)):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        value = data.get("pkgs_dirs") if isinstance(data, dict) else None
        if isinstance(value, list):
            entries += [str(v) for v in value if isinstance(v, str) and v]
    return entries


def conda_pkgs_dirs(environ: Mapping[str, str], root: Path | None) -> list[Path]:
    """conda's `context.pkgs_dirs`: CONDA_PKGS_DIRS, the condarc files' `pkgs_dirs`,
    else `<root>/pkgs` and `~/.conda/pkgs` (the user's first when the root is not
    writable)."""
    configured = [p.strip() for p in environ.get("CONDA_PKGS_DIRS", "").split(",") if p.strip()]
    configured += _condarc_pkgs_dirs(environ, root)
    if configured:
        return unique_paths(Path(os.path.expanduser(p)) for p in configured)
    user = Path.home() / ".conda" / "pkgs"
    if root is None:
        return [user]
    if conda_config.root_writable(root):
        return [root / "pkgs", user]
    return [user, root / "pkgs"]


def uv_cache_dir(uv: str | None, environ: Mapping[str, str]) -> Path | None:
    if environ.get("UV_CACHE_DIR"):
        return Path(environ["UV_CACHE_DIR"])
    if not uv:
        return None
    try:
        # uv colours the path when FORCE_COLOR is set (Playwright's servers, some CI).
        done = subprocess.run(
            [uv, "cache", "dir", "--color", "never"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return Path(text) if done.returncode == 0 and text else None


# -- conda-layout caches ----------------------------------------------------------


def _locked_now(lock_file: Path) -> bool:
    """True when another process (rattler extracting the package) holds the lock."""
    try:
        fd = os.open(lock_file, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _package_files(folder: Path) -> Iterable[tuple[Inode, int, int]]:
    """(inode, disk bytes, link count) of every file under an extracted package."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            yield (st.st_dev, st.st_ino), disk_bytes(st), st.st_nlink


def _entry_bytes(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(walk_inodes(path).values())
    try:
        return disk_bytes(path.lstat())
    except OSError:
        return 0


def plan_conda_layout(kind: str, pkgs_dir: Path, in_use: Mapping[Inode, int]) -> CachePlan:
    """What cleaning one conda-layout package cache would remove."""
    plan = CachePlan(kind=kind, path=str(pkgs_dir))
    if not pkgs_dir.is_dir():
        plan.note = "not created yet"
        return plan
    plan.size_bytes = sum(walk_inodes(pkgs_dir).values())
    plan.writable = os.access(pkgs_dir, os.W_OK | os.X_OK)
    if not plan.writable:
        plan.note = "read-only: shared with other users, not cleaned from here"
        return plan
    try:
        children = sorted(pkgs_dir.iterdir())
    except OSError:
        return plan
    names = {child.name for child in children}
    for child in children:
        name = child.name
        if child.is_dir() and not child.is_symlink():
            if not (child / "info").is_dir():
                if name.endswith(_TEMP_SUFFIXES):
                    plan.items.append(CleanItem(str(child), "temp", _entry_bytes(child)))
                continue  # an index cache (conda's `cache/`) or something not ours
            lock = pkgs_dir / f"{name}.lock"
            files = list(_package_files(child))
            used = any(ino in in_use or links > 1 for ino, _b, links in files)
            if used or _locked_now(lock):
                plan.kept_in_use += 1
                continue
            size = sum(b for _i, b, _l in files) + _dir_bytes(child)
            plan.items.append(CleanItem(str(child), "package", size))
        elif name.endswith(TARBALL_SUFFIXES):
            plan.items.append(CleanItem(str(child), "tarball", _entry_bytes(child)))
        elif name.endswith(".lock") and name.removesuffix(".lock") not in names:
            plan.items.append(CleanItem(str(child), "lock", _entry_bytes(child)))
        elif name.endswith(_TEMP_SUFFIXES):
            plan.items.append(CleanItem(str(child), "temp", _entry_bytes(child)))
    # A package folder's own lock file goes with it.
    removed = {Path(i.path).name for i in plan.items if i.what == "package"}
    for name in sorted(removed):
        lock = pkgs_dir / f"{name}.lock"
        if lock.is_file():
            plan.items.append(CleanItem(str(lock), "lock", _entry_bytes(lock)))
    return plan


def _dir_bytes(folder: Path) -> int:
    """The directories' own blocks, which `_package_files` leaves out."""
    total = 0
    for dirpath, _dirs, _files in os.walk(folder):
        with contextlib.suppress(OSError):
            total += disk_bytes(os.lstat(dirpath))
    return total


def apply_plan(plan: CachePlan, in_use: Mapping[Inode, int]) -> list[CleanItem]:
    """Remove what `plan` lists, checking each package again first (an env may have
    linked it since the plan was made). Returns what was removed."""
    removed = []
    for item in plan.items:
        path = Path(item.path)
        if item.what == "package":
            if any(ino in in_use or links > 1 for ino, _b, links in _package_files(path)):
                continue
            if _locked_now(path.parent / f"{path.name}.lock"):
                continue
            shutil.rmtree(path, ignore_errors=True)
            if path.exists():
                continue
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append(item)
    return removed


# -- uv ---------------------------------------------------------------------------


def plan_uv(cache_dir: Path, in_use: Mapping[Inode, int]) -> CachePlan:
    plan = CachePlan(kind="uv", path=str(cache_dir), estimate=True)
    if not cache_dir.is_dir():
        plan.note = "not created yet"
        return plan
    inodes = walk_inodes(cache_dir)
    plan.size_bytes = sum(inodes.values())
    plan.writable = os.access(cache_dir, os.W_OK | os.X_OK)
    plan.estimated_bytes = sum(b for ino, b in inodes.items() if ino not in in_use)
    plan.note = (
        "cleaned by `uv cache prune` (uv keeps what it still references); at most this "
        "much is not linked by any listed environment"
    )
    return plan


def prune_uv(uv: str, cache_dir: Path) -> int:
    """Run `uv cache prune` on `cache_dir`; the bytes it freed, measured."""
    before = sum(walk_inodes(cache_dir).values())
    subprocess.run(
        [uv, "cache", "prune", "--cache-dir", os.fspath(cache_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "UV_CACHE_DIR"},
    )
    return max(0, before - sum(walk_inodes(cache_dir).values()))


__all__ = [
    "CachePlan",
    "CleanItem",
    "apply_plan",
    "conda_pkgs_dirs",
    "plan_conda_layout",
    "plan_uv",
    "prune_uv",
    "uv_cache_dir",
]
