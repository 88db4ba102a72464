"""The results table, its best parameters, and the CSV and Parquet files a user opens.

The Parquet file is written by our own writer (`grid/parquet_file.py`), so every
check reads it back with pyarrow and pandas, the readers users have.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jupyter_env_manager.grid.parquet_file import Column, parquet_bytes
from jupyter_env_manager.grid.results import best_parameters, results_table, write_results

MAXIMIZE = [{"name": "score", "goal": "max"}]


def _run(index: int, score: Any, *, status: str = "ok", replicate: int = 0, seed: Any = None,
         **parameters: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "index": index, "replicate": replicate, "seed": seed, "parameters": parameters,
        "metrics": {"score": score}, "status": status, "error": None if status == "ok"
        else "ValueError: boom", "started": 100.0 + index, "ended": 100.5 + index,
        "output": f"/out/runs/run-{index:04d}.ipynb", "attempts": 1, "worker": "w-1",
        "kernel_name": "python3", "notebook_hash": "abc", "fingerprint": "fp",
    }  # fmt: skip


def test_ranks_share_ties_and_put_unscored_runs_after_every_scored_one():
    # As scikit-learn ranks failed fits: below the worst score, so after all scored runs.
    runs = [_run(0, 0.5, a=1), _run(1, 0.9, a=2), _run(2, 0.5, a=3),
            _run(3, None, status="failed", a=4), _run(4, "0.95", a=5)]  # fmt: skip
    table = results_table(runs, swept=["a"], metrics=MAXIMIZE)
    assert table.column("rank_score") == [3, 2, 3, 5, 1]
    # Numeric text from a notebook counts as a score, as pandas.to_numeric read it.
    assert table.column("score")[4] == 0.95
    minimize = results_table(runs, swept=["a"], metrics=[{"name": "score", "goal": "min"}])
    assert minimize.column("rank_score") == [1, 3, 1, 5, 4]
    assert table.columns.index("rank_score") == table.columns.index("status") - 1


def test_best_parameters_average_replicates_and_ignore_failures():
    runs = [
        _run(0, 0.6, replicate=0, seed=1, a=1), _run(1, 0.8, replicate=1, seed=2, a=1),
        _run(2, 0.9, replicate=0, seed=1, a=2), _run(3, 0.3, replicate=1, seed=2, a=2),
        _run(4, 1.0, status="failed", replicate=0, seed=1, a=3),
    ]  # fmt: skip
    table = results_table(runs, swept=["a", "seed"], metrics=MAXIMIZE)
    assert best_parameters(table, swept=["a", "seed"], metric=MAXIMIZE[0]) == {
        "parameters": {"a": 1}, "score": 0.7, "runs": 2,
    }  # fmt: skip


def test_best_parameters_ties_go_to_the_first_point_and_a_seed_only_grid_reports_the_value():
    runs = [_run(0, 0.5, a="x"), _run(1, 0.7, a=[1, 2]), _run(2, 0.7, a=None)]
    table = results_table(runs, swept=["a"], metrics=MAXIMIZE)
    best = best_parameters(table, swept=["a"], metric=MAXIMIZE[0])
    assert best == {"parameters": {"a": [1, 2]}, "score": 0.7, "runs": 1}
    seeds = [_run(i, s, replicate=i, seed=i) for i, s in enumerate([0.2, 0.4])]
    table = results_table(seeds, swept=["seed"], metrics=MAXIMIZE)
    assert best_parameters(table, swept=["seed"], metric=MAXIMIZE[0]) == {
        "parameters": {}, "score": 0.4, "runs": 2,
    }  # fmt: skip
    nothing = results_table([_run(0, None, status="failed")], swept=[], metrics=MAXIMIZE)
    assert best_parameters(nothing, swept=[], metric=MAXIMIZE[0]) is None


def test_csv_and_parquet_read_back_as_written(tmp_path: Path):
    runs = [
        _run(0, 0.1 + 0.2, seed=7, alpha=1e-3, solver="lbfgs", auto=1, flag=True, shape=[3, 4]),
        _run(1, None, status="failed", alpha=3e-4, solver="sag ü, \"q\"", auto="auto",
             flag=False, shape=[5]),
        _run(2, 2, seed=7, alpha=1e-4, solver="saga", auto=None, flag=None, shape=None),
    ]  # fmt: skip
    swept = ["alpha", "solver", "auto", "flag", "shape"]
    table = results_table(runs, swept=swept, metrics=MAXIMIZE)
    csv_path, parquet_path = write_results(table, tmp_path)

    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == table.columns
    assert float(rows[0]["score"]) == 0.1 + 0.2  # full precision
    assert rows[1]["score"] == "" and rows[1]["seed"] == "" and rows[1]["rank_score"] == "3"
    assert rows[1]["param_solver"] == 'sag ü, "q"'
    assert rows[1]["error"] == "ValueError: boom"

    read = pq.read_table(parquet_path)
    assert read.column_names == table.columns
    types = dict(zip(read.column_names, read.schema.types, strict=True))
    assert types["run"] == types["seed"] == types["rank_score"] == pa.int64()
    assert types["score"] == types["param_alpha"] == types["duration"] == pa.float64()
    assert types["param_flag"] == pa.bool_()
    assert types["param_solver"] == types["param_auto"] == types["status"] == pa.string()
    rows = read.to_pylist()
    assert [r["score"] for r in rows] == [0.1 + 0.2, None, 2.0]
    assert [r["seed"] for r in rows] == [7, None, 7]
    assert [r["param_flag"] for r in rows] == [True, False, None]
    # A parameter mixing kinds, and lists, are JSON text.
    assert [r["param_auto"] for r in rows] == ["1", '"auto"', None]
    assert [r["param_shape"] for r in rows] == ["[3, 4]", "[5]", None]
    assert rows[1]["param_solver"] == 'sag ü, "q"' and rows[0]["error"] is None
    assert pq.ParquetFile(parquet_path).metadata.created_by.startswith("jupyter-env-manager")

    frame = pd.read_parquet(parquet_path)
    assert list(frame["rank_score"]) == [2, 3, 1]
    assert math.isnan(frame["score"][1])


def test_an_empty_grid_still_has_every_column(tmp_path: Path):
    table = results_table([], swept=["a"], metrics=MAXIMIZE)
    csv_path, parquet_path = write_results(table, tmp_path)
    assert csv_path.read_text().splitlines() == [",".join(table.columns)]
    read = pq.read_table(parquet_path)
    assert read.num_rows == 0 and read.column_names == table.columns
    assert table.to_frame().empty


def test_the_frame_keeps_the_table_types():
    runs = [_run(0, 1, seed=3, a=1), _run(1, None, status="failed", seed=None, a=2)]
    frame = results_table(runs, swept=["a"], metrics=MAXIMIZE).to_frame()
    assert str(frame["seed"].dtype) == "Int64"
    assert frame["score"].dtype == "float64" and frame["rank_score"].dtype == "int64"
    assert list(frame["param_a"]) == [1, 2]


def test_parquet_files_of_many_columns_and_long_text(tmp_path: Path):
    # Past 15 items Thrift's compact lists change header form; pages of 1,000 rows
    # need multi-byte varints.
    columns = [Column(f"c{i}", "int64", list(range(1000))) for i in range(20)]
    columns.append(Column("text", "string", ["é" * 300 if i % 3 else None for i in range(1000)]))
    columns.append(Column("wide", "int64", [2**62, -(2**63)] * 500))
    path = tmp_path / "many.parquet"
    path.write_bytes(parquet_bytes(columns, created_by="test"))
    read = pq.read_table(path)
    assert read.num_columns == 22 and read.num_rows == 1000
    assert read.column("c19").to_pylist() == list(range(1000))
    assert read.column("text").to_pylist() == [c for c in columns[20].values]
    assert read.column("wide").to_pylist()[:2] == [2**62, -(2**63)]
