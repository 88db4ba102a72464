"""The three SQLite files (task history, grid state, grid index) carry a schema
version: a file written before versions existed opens and keeps its rows, and a
file from a newer version is refused rather than misread."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from jupyter_env_manager.core.sqlite_store import NewerStoreFile
from jupyter_env_manager.grid.service import GridIndex
from jupyter_env_manager.grid.store import MIGRATIONS as GRID_MIGRATIONS
from jupyter_env_manager.grid.store import GridStore
from jupyter_env_manager.tasks.store import MIGRATIONS as TASK_MIGRATIONS
from jupyter_env_manager.tasks.store import TaskStore


def unversioned(path, schema: str, *rows: tuple[str, tuple]) -> None:
    """A file as the previous release wrote it: the same tables, user_version 0."""
    db = sqlite3.connect(path)
    db.executescript(schema)
    for sql, params in rows:
        db.execute(sql, params)
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def version_of(path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_an_old_task_history_opens_with_its_tasks(tmp_path):
    path = tmp_path / "tasks.sqlite"
    row = (
        "INSERT INTO tasks (id, operation, environment, status, created, log) "
        "VALUES (?, 'create', 'old-env', 'succeeded', ?, '[]')",
        ("a" * 32, time.time()),
    )
    unversioned(path, TASK_MIGRATIONS[0], row)
    store = TaskStore(path)
    try:
        assert [t.environment for t in store.list()] == ["old-env"]
    finally:
        store.close()
    assert version_of(path) == len(TASK_MIGRATIONS)


def test_an_old_grid_index_and_grid_state_open_with_their_rows(tmp_path):
    index_path = tmp_path / "grids.sqlite"
    row = ("INSERT INTO grids VALUES (?, ?, ?, ?)", ("abcdef012345", str(tmp_path), "nb", 1.0))
    unversioned(index_path, GridIndex.MIGRATIONS[0], row)
    index = GridIndex(index_path)
    assert [row[0] for row in index.all()] == ["abcdef012345"]
    index.close()
    assert version_of(index_path) == len(GridIndex.MIGRATIONS)

    state_path = tmp_path / "grid.sqlite"
    unversioned(state_path, GRID_MIGRATIONS[0], (
        "INSERT INTO grids (id, created, notebook, notebook_hash, kernel_name, out_dir, plan, "
        "status) VALUES ('g1', 1.0, 'nb.ipynb', 'h', 'python3', ?, ?, 'finished')",
        (str(tmp_path), json.dumps({"runs": []}))))  # fmt: skip
    store = GridStore(state_path)
    try:
        assert store.grid("g1").status == "finished"
    finally:
        store.close()
    assert version_of(state_path) == len(GRID_MIGRATIONS)


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "tasks.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(TASK_MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(NewerStoreFile, match="newer jupyter-env-manager"):
        TaskStore(path)
