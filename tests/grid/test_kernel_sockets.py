"""The folder a pool's forked kernels listen in: private, and cleaned up even after a
pool whose process was killed (a lost worker cleans up nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from jupyter_env_manager.grid.kernel_sockets import SocketFolder


def test_a_new_pool_removes_the_folders_of_pools_that_are_gone(short_tmp: Path) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    orphan = short_tmp / f"jem-kernels-{ended.pid}-abc123"
    alive = short_tmp / f"jem-kernels-{os.getppid()}-def456"
    other = short_tmp / "jem-kernels-notes"
    for folder in (orphan, alive, other):
        folder.mkdir()
        (folder / "0-1").write_text("")

    sockets = SocketFolder()
    prefix = sockets.prefix()
    assert prefix is not None
    folder = Path(prefix).parent
    assert folder.parent == short_tmp and folder.name.startswith(f"jem-kernels-{os.getpid()}-")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert sockets.prefix() != prefix  # one prefix per kernel
    assert not orphan.exists()
    assert alive.exists() and other.exists()  # a running pool's, and not a pool's
    sockets.remove()
    assert not folder.exists()


def test_a_temporary_folder_too_deep_for_socket_paths_gives_no_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    sockets = SocketFolder()
    assert sockets.prefix() is None  # the pool's kernels then use TCP
    sockets.remove()
    assert list(deep.iterdir()) == []
