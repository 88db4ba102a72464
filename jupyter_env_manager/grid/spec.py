"""What to sweep: grids as scikit-learn's ParameterGrid understands them.

A grid is a dict of value lists (`{"alpha": [1e-3, 1e-4], "norm": ["l1", "l2"]}`) or
a list of such dicts, whose sub-grids are concatenated. The order of the points is
ParameterGrid's: keys sorted inside each dict, the last sorted key varying fastest,
so a results table lines up with what scikit-learn users expect.

Grids come from YAML/JSON files, from a UI (already parsed JSON) or from CLI sweeps
`--param alpha=1e-3,1e-4`. Everything is checked here, before any kernel starts:
a scalar where a list belongs, an empty list, a bad name, a repeated sweep.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidGrid

Grid = list[dict[str, list[Any]]]

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_RANGE_RE = re.compile(r"range\(\s*([^)]*)\)")
_KEYWORDS: dict[str, Any] = {
    "true": True,
    "false": False,
    "none": None,
    "null": None,
    "nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "-inf": -math.inf,
}


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidGrid(
            f"{where}: parameter name {name!r} is not a valid identifier "
            "(letters, digits and _, not starting with a digit)."
        )
    return name


def normalize_grid(grid: Any, *, source: str = "grid") -> Grid:
    """Check `grid` and return it as a list of dicts of non-empty lists.

    Tuples count as lists (YAML and JSON never give tuples; Python callers might).
    """
    if isinstance(grid, Mapping):
        sub_grids: Sequence[Any] = [grid]
    elif isinstance(grid, (list, tuple)):
        sub_grids = grid
        if not sub_grids:
            raise InvalidGrid(f"{source}: the list of sub-grids is empty.")
    else:
        raise InvalidGrid(
            f"{source}: a grid is a mapping of parameter names to lists of values, or a "
            f"list of such mappings; got {type(grid).__name__}."
        )
    result: Grid = []
    for position, sub in enumerate(sub_grids):
        where = source if len(sub_grids) == 1 else f"{source}, sub-grid {position + 1}"
        if not isinstance(sub, Mapping):
            raise InvalidGrid(f"{where}: expected a mapping of parameter names to lists.")
        checked: dict[str, list[Any]] = {}
        for name, values in sub.items():
            _check_name(name, where)
            if not isinstance(values, (list, tuple)):
                raise InvalidGrid(
                    f"{where}: parameter {name!r} must be a list of values, got the single "
                    f"value {values!r}; write [{json.dumps(values, default=str)}] to fix "
                    "it to one value."
                )
            if len(values) == 0:
                raise InvalidGrid(f"{where}: parameter {name!r} has an empty list of values.")
            checked[name] = list(values)
        result.append(checked)
    return result


def iter_points(grid: Grid) -> Iterator[dict[str, Any]]:
    """The grid's points in ParameterGrid order."""
    for sub in grid:
        names = sorted(sub)
        if not names:
            yield {}
            continue
        for combination in itertools.product(*(sub[name] for name in names)):
            yield dict(zip(names, combination, strict=True))


def grid_size(grid: Grid) -> int:
    return sum(math.prod(len(v) for v in sub.values()) for sub in grid)


def grid_names(grid: Grid) -> set[str]:
    return {name for sub in grid for name in sub}


def load_grid_file(path: str | Path) -> Grid:
    """Read a grid from a YAML or JSON file (JSON is YAML, so one parser reads both)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidGrid(f"Cannot read the grid file {path}: {error.strerror or error}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidGrid(f"The grid file {path} is not valid YAML/JSON: {error}") from None
    if data is None:
        raise InvalidGrid(f"The grid file {path} is empty.")
    return normalize_grid(data, source=str(path))


# -- CLI sweeps -----------------------------------------------------------------


def parse_scalar(text: str) -> Any:
    """A CLI value as the literal it looks like: 3, 1e-3, true, None, 'quoted', [1, 2], else str."""
    token = text.strip()
    lowered = token.lower()
    if lowered in _KEYWORDS:
        return _KEYWORDS[lowered]
    if _INT_RE.fullmatch(token):
        return int(token)
    if _FLOAT_RE.fullmatch(token):
        return float(token)
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    if token[:1] in "[{(":
        try:
            return ast.literal_eval(token)
        except (ValueError, SyntaxError):
            raise InvalidGrid(f"Cannot read the value {token!r}: not a valid literal.") from None
    return token


def _split_values(text: str) -> list[str]:
    """Split on commas that are outside quotes and brackets."""
    parts: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote or depth:
        raise InvalidGrid(f"Unbalanced quotes or brackets in {text!r}.")
    parts.append("".join(current))
    return parts


def _parse_range(arguments: str, where: str) -> list[Any]:
    try:
        numbers = [parse_scalar(a) for a in arguments.split(",")]
    except InvalidGrid:
        numbers = []
    if not 1 <= len(numbers) <= 3 or not all(type(n) is int for n in numbers):
        raise InvalidGrid(f"{where}: range() takes 1 to 3 integers, e.g. range(1,10,2).")
    if len(numbers) == 3 and numbers[2] == 0:
        raise InvalidGrid(f"{where}: range() step must not be zero.")
    values = list(range(*numbers))
    if not values:
        raise InvalidGrid(f"{where}: range({arguments}) is empty.")
    return values


def parse_sweep(text: str, *, where: str | None = None) -> tuple[str, list[Any]]:
    """`name=v1,v2` (or `name=range(1,5)`) -> (name, [v1, v2]); `where` starts errors."""
    name, sep, values_text = text.partition("=")
    name = name.strip()
    where = where or f"--param {text}"
    if not sep:
        raise InvalidGrid(f"{where}: expected NAME=VALUE1,VALUE2,... (e.g. alpha=1e-3,1e-4).")
    _check_name(name, where)
    if not values_text.strip():
        raise InvalidGrid(f"{where}: no values given for {name!r}.")
    ranged = _RANGE_RE.fullmatch(values_text.strip())
    if ranged:
        return name, _parse_range(ranged.group(1), where)
    tokens = _split_values(values_text)
    if any(not token.strip() for token in tokens):
        raise InvalidGrid(f"{where}: empty value (two commas in a row or a trailing comma).")
    return name, [parse_scalar(token) for token in tokens]


def grid_from_sweeps(sweeps: Sequence[str]) -> Grid:
    """One grid from repeated `--param` options; a name given twice is an error."""
    grid: dict[str, list[Any]] = {}
    for text in sweeps:
        name, values = parse_sweep(text)
        if name in grid:
            raise InvalidGrid(f"--param {name} is given twice; list all values in one option.")
        grid[name] = values
    return normalize_grid(grid, source="--param")
