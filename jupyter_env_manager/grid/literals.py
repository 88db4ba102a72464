"""Parameter values written as source code of the notebook's language.

The injected cell must assign exactly the values of the grid point, so each
language gets its own spelling of None, booleans, non-finite floats, lists and
dicts. Floats use `repr`, which round-trips every bit of a Python float.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .errors import InvalidGrid


def _float_python(value: float) -> str:
    if math.isnan(value):
        return "float('nan')"
    if math.isinf(value):
        return "float('inf')" if value > 0 else "float('-inf')"
    return repr(value)


def python_literal(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return _float_python(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        # A one-element tuple needs its trailing comma.
        return "(" + "".join(python_literal(v) + ", " for v in value).rstrip(" ") + ")"
    if isinstance(value, Mapping):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise InvalidGrid(f"Cannot write {value!r} ({type(value).__name__}) as a Python literal.")


def _r_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def r_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"{value}L"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, str):
        return _r_string(value)
    if isinstance(value, (list, tuple)):
        return "list(" + ", ".join(r_literal(v) for v in value) + ")"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_r_string(str(k))} = {r_literal(v)}" for k, v in value.items())
        return f"list({items})"
    raise InvalidGrid(f"Cannot write {value!r} ({type(value).__name__}) as an R literal.")


def julia_literal(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(julia_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{julia_literal(k)} => {julia_literal(v)}" for k, v in value.items())
        return f"Dict({items})"
    raise InvalidGrid(f"Cannot write {value!r} ({type(value).__name__}) as a Julia literal.")


#: language (kernelspec/notebook `language`, lower-cased) -> (literal writer, assignment, comment)
_LANGUAGES: dict[str, tuple[Callable[[Any], str], str, str]] = {
    "python": (python_literal, "{name} = {value}", "#"),
    "r": (r_literal, "{name} = {value}", "#"),
    "julia": (julia_literal, "{name} = {value}", "#"),
}

SUPPORTED_LANGUAGES = tuple(sorted(_LANGUAGES))


def check_language(language: str) -> str:
    key = language.lower()
    if key not in _LANGUAGES:
        raise InvalidGrid(
            f"Grid searches cannot inject parameters into {language!r} notebooks; "
            f"supported languages: {', '.join(SUPPORTED_LANGUAGES)}."
        )
    return key


def assignment_block(parameters: Mapping[str, Any], language: str) -> str:
    """The source of an injected-parameters cell, papermill style."""
    writer, assign, comment = _LANGUAGES[check_language(language)]
    lines = [f"{comment} Parameters"]
    lines += [assign.format(name=name, value=writer(value)) for name, value in parameters.items()]
    return "\n".join(lines) + "\n"
