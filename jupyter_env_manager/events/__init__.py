"""Jupyter Events schemas the extension emits."""

from pathlib import Path

TASK_EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyter_env_manager/task/v1"
GRID_EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyter_env_manager/grid/v1"
SCHEMA_FILES = [Path(__file__).with_name("task.yaml"), Path(__file__).with_name("grid.yaml")]
