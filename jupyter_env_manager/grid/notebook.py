"""Notebook side of a grid search: the parameters cell, injection and the notebook hash.

Papermill's conventions, so notebooks written for papermill work unchanged: the
parameters cell is the first cell tagged `parameters`; the values of a run go into
a new cell tagged `injected-parameters` placed right after it (an older injected
cell is replaced). Parameter names, defaults and types are read from the
parameters cell with `ast` for Python notebooks, without starting a kernel.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id as random_cell_id
from nbformat.validator import better_validation_error, get_validator, normalize

from .errors import NotebookError
from .literals import assignment_block, check_language

log = logging.getLogger(__name__)

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter declared in the parameters cell."""

    name: str
    #: The default value when it is a literal; None when it is computed (see `default_source`).
    default: Any
    default_source: str
    type_name: str
    #: False when the default is an expression (e.g. `np.linspace(0, 1)`): the grid
    #: must then give a value, or the notebook computes it itself.
    literal: bool
    help: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default if self.literal else None,
            "default_source": self.default_source,
            "type": self.type_name,
            "literal": self.literal,
            "help": self.help,
        }


def read_notebook(path: str | Path) -> NotebookNode:
    """What `nbformat.read(path, as_version=4)` returns. As nbformat does, a schema
    error is logged, not raised; a small notebook is checked by jsonschema rather than
    fastjsonschema (see `JSONSCHEMA_MAX_ITEMS`)."""
    path = Path(path)
    try:
        nb = nbformat.convert(nbformat.reader.reads(path.read_text(encoding="utf-8")), 4)
    except FileNotFoundError:
        raise NotebookError(f"Notebook not found: {path}") from None
    except (OSError, ValueError) as error:
        # nbformat raises NotJSONError (a ValueError) for non-notebooks.
        raise NotebookError(f"Cannot read {path} as a notebook: {error}") from None
    if _is_small(nb):
        _, nb = normalize(nb)  # missing or repeated cell ids mended, on a copy
        error = _jsonschema_error(nb)
    else:
        error = _schema_error(nb)  # the same mending, in place
    if error is not None:
        log.error("Notebook JSON is invalid: %s", error)
    return nb


#: Cells and outputs up to which jsonschema checks a notebook sooner than fastjsonschema
#: (nbformat's choice) has compiled the schema to Python, which it does once per
#: process: about 0.2 ms per cell or output against 30 ms, which a grid's start waited
#: for. Past that, the compiled check is faster (400 cells: 58 ms against 250 ms).
JSONSCHEMA_MAX_ITEMS = 150


def _is_small(nb: NotebookNode) -> bool:
    cells = nb.get("cells") or []
    items = len(cells) + sum(len(cell.get("outputs") or ()) for cell in cells)
    return items <= JSONSCHEMA_MAX_ITEMS


def _jsonschema_error(nb: NotebookNode) -> Exception | None:
    validator = get_validator(4, nb.nbformat_minor, name="jsonschema")
    error = next(iter(validator.iter_errors(nb)), None) if validator is not None else None
    return better_validation_error(error, 4, nb.nbformat_minor) if error is not None else None


def _schema_error(nb: NotebookNode) -> Exception | None:
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        return error
    return None


def notebook_language(nb: NotebookNode) -> str:
    metadata = nb.get("metadata", {})
    language = metadata.get("kernelspec", {}).get("language") or metadata.get(
        "language_info", {}
    ).get("name")
    return str(language or "python")


def notebook_hash(nb: NotebookNode) -> str:
    """sha256 of what runs: code cell sources in order (outputs and metadata do not count)."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            digest.update(json.dumps(cell.get("source", "")).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _tags(cell: NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_cell_index(nb: NotebookNode, *, name: str = "notebook") -> int:
    for index, cell in enumerate(nb.cells):
        if PARAMETERS_TAG in _tags(cell):
            return index
    raise NotebookError(
        f"{name} has no cell tagged 'parameters'. Tag the cell that assigns the default "
        "values (JupyterLab: property inspector -> Cell tags -> add 'parameters'), as "
        "papermill expects."
    )


def _annotation_name(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    return ast.unparse(node)


def _comment_after(line: str) -> str:
    _, sep, comment = line.partition("#")
    return comment.strip() if sep else ""


def parse_python_parameters(source: str) -> list[NotebookParameter]:
    """Assignments `name = value` / `name: type = value` at the top of the cell."""
    # IPython magics and shell escapes are not Python; blank them so the rest parses.
    lines = source.splitlines()
    cleaned = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)
    try:
        tree = ast.parse(cleaned)
    except SyntaxError as error:
        raise NotebookError(f"The parameters cell is not valid Python: {error}") from None
    found: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value, annotation = node.targets[0], node.value, None
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value, annotation = node.target, node.value, node.annotation
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        source_text = ast.get_source_segment(cleaned, value) or ast.unparse(value)
        try:
            default = ast.literal_eval(value)
            literal = True
        except (ValueError, SyntaxError, TypeError):
            default, literal = None, False
        type_name = _annotation_name(annotation) or (
            type(default).__name__ if literal else "unknown"
        )
        line = lines[node.end_lineno - 1] if node.end_lineno else ""
        found[target.id] = NotebookParameter(
            name=target.id,
            default=default,
            default_source=source_text,
            type_name="None" if type_name == "NoneType" else type_name,
            literal=literal,
            help=_comment_after(line[node.end_col_offset :] if node.end_col_offset else ""),
        )
    return list(found.values())


_SIMPLE_ASSIGN_SEPARATORS = ("<-", "=")


def parse_other_parameters(source: str) -> list[NotebookParameter]:
    """Best effort for R/Julia: `name = value` or `name <- value` lines, values as text."""
    found: dict[str, NotebookParameter] = {}
    for line in source.splitlines():
        text = line.split("#", 1)[0].strip()
        for separator in _SIMPLE_ASSIGN_SEPARATORS:
            name, sep, value = text.partition(separator)
            if sep and name.strip().isidentifier() and value.strip():
                found[name.strip()] = NotebookParameter(
                    name=name.strip(),
                    default=None,
                    default_source=value.strip(),
                    type_name="unknown",
                    literal=False,
                    help=_comment_after(line),
                )
                break
    return list(found.values())


@dataclass(frozen=True)
class NotebookInfo:
    """What a grid search needs to know about a notebook before running it."""

    path: Path
    nb: NotebookNode
    language: str
    parameters_index: int
    parameters: tuple[NotebookParameter, ...]
    hash: str

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def defaults(self) -> dict[str, Any]:
        """Literal defaults, which runs record as their value when the grid leaves them."""
        return {p.name: p.default for p in self.parameters if p.literal}

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "language": self.language,
            "hash": self.hash,
            "parameters": [p.to_json() for p in self.parameters],
        }


def inspect_notebook(path: str | Path) -> NotebookInfo:
    """Read `path` and its parameters; NotebookError when it has no parameters cell."""
    path = Path(path)
    nb = read_notebook(path)
    language = notebook_language(nb)
    index = parameters_cell_index(nb, name=str(path))
    source = nb.cells[index].get("source", "")
    if language.lower() == "python":
        parameters = parse_python_parameters(source)
    else:
        parameters = parse_other_parameters(source)
    return NotebookInfo(
        path=path,
        nb=nb,
        language=language,
        parameters_index=index,
        parameters=tuple(parameters),
        hash=notebook_hash(nb),
    )


def inject_parameters(
    nb: NotebookNode, parameters: dict[str, Any], *, language: str
) -> NotebookNode:
    """A copy of `nb` with an `injected-parameters` cell right after the parameters cell."""
    check_language(language)
    result = copy.deepcopy(nb)
    result.cells = [c for c in result.cells if INJECTED_TAG not in _tags(c)]
    index = parameters_cell_index(result)
    # The fields nbformat's new_code_cell() sets, without its jsonschema validation of
    # a cell built here (a tenth of a grid worker's CPU per short run).
    cell = nbformat.from_dict(
        {
            "id": random_cell_id(),
            "cell_type": "code",
            "metadata": {"tags": [INJECTED_TAG]},
            "execution_count": None,
            "source": assignment_block(parameters, language),
            "outputs": [],
        }
    )
    result.cells.insert(index + 1, cell)
    return result
