"""The grid form's value fields, parsed by the same grammar as the CLI's `--param`.

The dialog sends what the user typed (`{"alpha": "1e-3, 1e-4", "norm": "l1,l2"}`); the
server answers the values it will use and an error per field, so "1.0" stays a float,
"TRUE" a bool and "inf" a float in the browser's preview exactly as in a run.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import InvalidGrid
from .spec import parse_sweep


def parse_value_fields(fields: dict[str, str]) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """(grid of the fields that parsed, error message per field that did not)."""
    grid: dict[str, list[Any]] = {}
    errors: dict[str, str] = {}
    for name, text in fields.items():
        try:
            parsed_name, values = parse_sweep(f"{name}={text}", where=name)
        except InvalidGrid as error:
            errors[name] = error.message
            continue
        grid[parsed_name] = values
    return grid, errors


def run_count(grid: dict[str, list[Any]]) -> int:
    return math.prod(len(values) for values in grid.values()) if grid else 0


_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", type(None): "none"}


def shown_values(values: list[Any]) -> list[dict[str, str]]:
    """Each value as the run will see it, in words JSON can carry (`inf`, `nan` too)."""
    return [
        {"text": repr(value), "type": _TYPE_NAMES.get(type(value), type(value).__name__)}
        for value in values
    ]


def preview(fields: dict[str, str]) -> dict[str, Any]:
    """What the grid dialog shows while the user types."""
    grid, errors = parse_value_fields(fields)
    return {
        "parameters": {name: shown_values(values) for name, values in grid.items()},
        "runs": run_count(grid) if not errors else None,
        "errors": errors,
    }
