"""Variables an environment sets when activated: conda keeps them in
`<prefix>/conda-meta/state` (`conda env config vars set`, environment.yml's
`variables:`), so conda, mamba and this tool's kernels all apply the same ones."""

from __future__ import annotations

import json
from pathlib import Path

from .discovery import _atomic_write


def _state_file(prefix: Path) -> Path:
    return prefix / "conda-meta" / "state"


def _state(prefix: Path) -> dict:
    try:
        data = json.loads(_state_file(prefix).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_env_vars(prefix: Path) -> dict[str, str]:
    env_vars = _state(prefix).get("env_vars")
    if not isinstance(env_vars, dict):
        return {}
    return {str(k): str(v) for k, v in env_vars.items() if isinstance(k, str)}


def save_env_vars(prefix: Path, variables: dict[str, str]) -> None:
    """Add `variables` to the prefix's state, keeping what conda stored there."""
    state = _state(prefix)
    state["env_vars"] = {**saved_env_vars(prefix), **variables}
    _atomic_write(_state_file(prefix), json.dumps(state, indent=2) + "\n")
