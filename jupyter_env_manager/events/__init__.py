"""Jupyter Events schemas the extension emits."""

from pathlib import Path

TASK_EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyter_env_manager/task/v1"
GRID_EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyter_env_manager/grid/v1"
ENVIRONMENTS_EVENT_SCHEMA_ID = "https://events.jupyter.org/jupyter_env_manager/environments/v1"
SCHEMA_FILES = [
    Path(__file__).with_name(name) for name in ("task.yaml", "grid.yaml", "environments.yaml")
]
