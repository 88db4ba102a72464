"""Parameters cell reading, papermill-style injection and language-aware literals."""

from __future__ import annotations

import json
import math
import warnings

import nbformat
import pytest

from jupyter_env_manager.grid.errors import InvalidGrid, NotebookError
from jupyter_env_manager.grid.literals import assignment_block, r_literal
from jupyter_env_manager.grid.notebook import (
    INJECTED_TAG,
    inject_parameters,
    inspect_notebook,
    notebook_hash,
    read_notebook,
)

PARAMS = """\
import numpy as np
alpha = 1e-3  # learning rate
layers: int = 2
name = "net"
grid = np.linspace(0, 1, 5)
flags = [True, None]
%matplotlib inline
"""


def test_parameters_names_defaults_types(make_notebook):
    info = inspect_notebook(make_notebook(PARAMS, "print(alpha)"))
    by_name = {p.name: p for p in info.parameters}
    assert list(by_name) == ["alpha", "layers", "name", "grid", "flags"]
    assert by_name["alpha"].default == 1e-3 and by_name["alpha"].type_name == "float"
    assert by_name["alpha"].help == "learning rate"
    assert by_name["layers"].type_name == "int" and by_name["layers"].default == 2
    assert by_name["grid"].literal is False
    assert by_name["grid"].default_source == "np.linspace(0, 1, 5)"
    assert info.defaults() == {"alpha": 1e-3, "layers": 2, "name": "net", "flags": [True, None]}


def test_injection_goes_right_after_parameters_cell_and_replaces_old(make_notebook):
    info = inspect_notebook(make_notebook(PARAMS, "print(alpha)"))
    values = {"alpha": 0.1 + 0.2, "name": "it's", "flags": [math.inf, None, False], "t": (1,)}
    once = inject_parameters(info.nb, values, language="python")
    twice = inject_parameters(once, {"alpha": 5}, language="python")
    for nb, expected in ((once, values), (twice, {"alpha": 5})):
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        assert tags == [["parameters"], [INJECTED_TAG], []]
        namespace: dict = {}
        exec(nb.cells[1].source, namespace)  # the literals must mean exactly the values
        assert {k: namespace[k] for k in expected} == expected
    assert info.nb.cells[1].source == "print(alpha)"  # the original is untouched


def test_notebook_without_parameters_cell_is_refused(make_notebook):
    with pytest.raises(NotebookError, match="no cell tagged 'parameters'"):
        inspect_notebook(make_notebook(None, "x = 1"))


def test_unreadable_notebooks(tmp_path):
    with pytest.raises(NotebookError, match="Notebook not found"):
        inspect_notebook(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(NotebookError, match="Cannot read"):
        inspect_notebook(bad)


def test_a_notebook_reads_as_nbformat_reads_it(tmp_path, caplog):
    """Cell ids mended, older formats upgraded, and a schema error logged, not raised."""
    cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
            "execution_count": None}  # fmt: skip
    cases = {
        "repeated-ids": {"cells": [dict(cell, id="a"), dict(cell, id="a")], "metadata": {},
                         "nbformat": 4, "nbformat_minor": 5},
        "version-3": {"worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1",
                      "outputs": [], "language": "python", "metadata": {}}]}],
                      "metadata": {}, "nbformat": 3, "nbformat_minor": 0},
        "stray-key": {"cells": [dict(cell, id="a", stray=1)], "metadata": {},
                      "nbformat": 4, "nbformat_minor": 5},
        # Past JSONSCHEMA_MAX_ITEMS: nbformat's own check.
        "large": {"cells": [dict(cell, id="b", stray=1), *[dict(cell, id="b")] * 200],
                  "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    }  # fmt: skip
    for name, content in cases.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(content))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns of the ids it mends
            theirs, ours = nbformat.read(path, as_version=4), read_notebook(path)
        assert (ours.nbformat, ours.nbformat_minor) == (theirs.nbformat, theirs.nbformat_minor)
        assert [c.source for c in ours.cells] == [c.source for c in theirs.cells]
        assert len({c.id for c in ours.cells}) == len(ours.cells)
    ours_logged = [r for r in caplog.records if r.name == "jupyter_env_manager.grid.notebook"]
    invalid = [r.getMessage() for r in ours_logged]
    assert len(invalid) == 2 and all("('stray' was unexpected)" in text for text in invalid)


def test_hash_follows_code_not_outputs(make_notebook):
    path = make_notebook("a = 1", "print(a)")
    nb = nbformat.read(path, as_version=4)
    before = notebook_hash(nb)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    assert notebook_hash(nb) == before
    nb.cells[1].source = "print(a + 1)"
    assert notebook_hash(nb) != before


def test_other_languages():
    assert r_literal([True, None, 1, 2.5, 'a"b']) == 'list(TRUE, NULL, 1L, 2.5, "a\\"b")'
    assert assignment_block({"x": {"k": 1.0}}, "julia") == '# Parameters\nx = Dict("k" => 1.0)\n'
    with pytest.raises(InvalidGrid, match="cannot inject parameters into 'cobol'"):
        assignment_block({"x": 1}, "cobol")
