"""Grids: ParameterGrid order, CLI sweeps, files, and refusals with clear messages."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sklearn.model_selection import ParameterGrid

from jupyter_env_manager.grid.errors import InvalidGrid
from jupyter_env_manager.grid.spec import (
    grid_from_sweeps,
    grid_size,
    iter_points,
    load_grid_file,
    normalize_grid,
    parse_scalar,
)


@pytest.mark.parametrize(
    "grid",
    [
        {"b": [1, 2, 3], "a": ["x", "y"], "c": [True]},
        [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "gamma": [0.1, 0.01], "C": [1]}],
        [{}],
    ],
)
def test_points_match_scikit_learn_parameter_grid(grid):
    ours = list(iter_points(normalize_grid(grid)))
    assert ours == list(ParameterGrid(grid))
    assert grid_size(normalize_grid(grid)) == len(ParameterGrid(grid))


def test_cli_sweeps_parse_literals():
    grid = grid_from_sweeps(
        [
            "alpha=1e-3,1E-4,.5,-2",
            "flag=true,False",
            "name=l1,'a,b',\"x\"",
            "opt=None,null,[1, 2],{'k': 1}",
            "n=range(1,4)",
        ]
    )
    (sub,) = grid
    assert sub["alpha"] == [1e-3, 1e-4, 0.5, -2]
    assert type(sub["alpha"][3]) is int
    assert sub["flag"] == [True, False]
    assert sub["name"] == ["l1", "a,b", "x"]
    assert sub["opt"] == [None, None, [1, 2], {"k": 1}]
    assert sub["n"] == [1, 2, 3]
    assert math.isinf(parse_scalar("inf")) and math.isnan(parse_scalar("nan"))


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"alpha": 0.1}, "must be a list of values, got the single value 0.1"),
        ({"alpha": "abc"}, "must be a list of values"),
        ({"alpha": []}, "empty list"),
        ({"1bad": [1]}, "not a valid identifier"),
        ([], "list of sub-grids is empty"),
        (3, "a grid is a mapping"),
        ([{"a": [1]}, 5], "sub-grid 2: expected a mapping"),
    ],
)
def test_bad_grids_are_refused(grid, message):
    with pytest.raises(InvalidGrid, match=message):
        normalize_grid(grid)


@pytest.mark.parametrize(
    ("sweeps", "message"),
    [
        (["alpha"], "expected NAME=VALUE1,VALUE2"),
        (["alpha="], "no values given"),
        (["alpha=1,,2"], "empty value"),
        (["alpha=1", "alpha=2"], "given twice"),
        (["alpha=[1,2"], "Unbalanced"),
        (["n=range(a)"], "range\\(\\) takes 1 to 3 integers"),
    ],
)
def test_bad_sweeps_are_refused(sweeps, message):
    with pytest.raises(InvalidGrid, match=message):
        grid_from_sweeps(sweeps)


def test_grid_files_yaml_and_json(tmp_path: Path):
    yaml_file = tmp_path / "g.yaml"
    yaml_file.write_text("- {C: [1, 10], kernel: [linear]}\n- {gamma: [1.0e-3], kernel: [rbf]}\n")
    json_file = tmp_path / "g.json"
    json_file.write_text('{"alpha": [0.1, 0.2]}')
    assert list(iter_points(load_grid_file(yaml_file))) == [
        {"C": 1, "kernel": "linear"},
        {"C": 10, "kernel": "linear"},
        {"gamma": 0.001, "kernel": "rbf"},
    ]
    assert list(iter_points(load_grid_file(json_file))) == [{"alpha": 0.1}, {"alpha": 0.2}]
    bad = tmp_path / "bad.yaml"
    bad.write_text("alpha: 0.1\n")
    with pytest.raises(InvalidGrid, match="alpha.*must be a list"):
        load_grid_file(bad)
    with pytest.raises(InvalidGrid, match="Cannot read the grid file"):
        load_grid_file(tmp_path / "missing.yaml")
