"""One results table per grid, shaped like scikit-learn's `cv_results_`.

Rows are runs in grid order. Columns: `run`, `replicate`, `seed`, `param_<name>`
for every swept parameter, `params` (the full parameter set as JSON), one column
per metric named as the metric (requested metrics first, then other glued values),
`rank_<metric>` for each requested metric (1 = best by its goal, ties share the
lowest rank like scikit-learn's `rankdata(method="min")`; runs without a value rank
after every scored run, as scikit-learn ranks failed fits), then `status`, `error`,
`duration`, `started`, `ended`, `output_notebook`, `attempts`, `worker`,
`kernel_name`, `notebook_hash`, `fingerprint`.

The table is plain Python, and so are the CSV, the Parquet file (`parquet_file.py`),
the best parameters and the JSON records a server sends: a grid from the CLI never
imports pandas or pyarrow (a quarter of a short grid's wall time here).
`ResultsTable.to_frame()` is the pandas DataFrame that `grid_search()` and
`GridSearch.results()` hand to notebook users.

Floats are kept as float64 end to end (CSV written with `repr` precision), so a
value read back equals the one the notebook computed.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .parquet_file import Column, parquet_bytes

if TYPE_CHECKING:
    import pandas as pd

RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"

#: Columns after the ranks, and the Parquet kind of those with a fixed one.
_RUN_COLUMNS = {
    "status": "string",
    "error": "string",
    "duration": "double",
    "started": "double",
    "ended": "double",
    "output_notebook": "string",
    "attempts": "int64",
    "worker": "string",
    "kernel_name": "string",
    "notebook_hash": "string",
    "fingerprint": "string",
}


def _metric_names(runs: list[dict[str, Any]], requested: list[str]) -> list[str]:
    extra: list[str] = []
    for run in runs:
        for name in run.get("metrics") or {}:
            if name not in requested and name not in extra:
                extra.append(name)
    return [*requested, *extra]


def _as_score(value: Any) -> float:
    """A requested metric as float64; NaN where it is missing or not a number (what
    `pandas.to_numeric(errors="coerce")` gave: numeric text counts, bools are 0/1)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


def _ranks(scores: list[float], goal: str) -> list[int]:
    """1 = best; ties share the lowest rank; unscored runs rank after every scored one."""
    scored = sorted((s for s in scores if not math.isnan(s)), reverse=goal == "max")
    first: dict[float, int] = {}
    for position, score in enumerate(scored, start=1):
        first.setdefault(score, position)
    worst = len(scored) + 1 if scored else 1
    return [worst if math.isnan(s) else first[s] for s in scores]


@dataclass(frozen=True)
class ResultsTable:
    columns: list[str]
    #: One dict per run, in grid order, keyed by every column.
    rows: list[dict[str, Any]]
    #: Parquet kind of each column with a fixed one; the others (parameters, glued
    #: values that are no requested metric) take what their values are.
    types: dict[str, str]

    def column(self, name: str) -> list[Any]:
        return [row[name] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """Rows for JSON: NaN becomes null."""
        return [{k: None if _missing(v) else v for k, v in row.items()} for row in self.rows]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=self.columns if self.rows else None)
        if not frame.empty:
            frame["seed"] = frame["seed"].astype("Int64")
        return frame


def results_table(
    runs: list[dict[str, Any]], *, swept: list[str], metrics: list[dict[str, str]]
) -> ResultsTable:
    """Build the table from store rows (`GridStore.runs`) and the plan's metrics."""
    requested = [m["name"] for m in metrics]
    names = _metric_names(runs, requested)
    scores = {
        name: [_as_score((run.get("metrics") or {}).get(name)) for run in runs]
        for name in requested
    }
    ranks = {spec["name"]: _ranks(scores[spec["name"]], spec["goal"]) for spec in metrics}
    rows = []
    for position, run in enumerate(runs):
        values = run.get("metrics") or {}
        row: dict[str, Any] = {"run": run["index"], "replicate": run["replicate"],
                               "seed": run["seed"]}  # fmt: skip
        for name in swept:
            row[f"param_{name}"] = run["parameters"].get(name)
        row["params"] = json.dumps(run["parameters"], sort_keys=True)
        for name in names:
            row[name] = scores[name][position] if name in scores else values.get(name)
        for name in requested:
            row[f"rank_{name}"] = ranks[name][position]
        started, ended = run.get("started"), run.get("ended")
        row.update(
            status=run["status"],
            error=run.get("error"),
            duration=(ended - started) if started is not None and ended is not None else None,
            started=started,
            ended=ended,
            output_notebook=run.get("output"),
            attempts=run.get("attempts"),
            worker=run.get("worker"),
            kernel_name=run.get("kernel_name"),
            notebook_hash=run.get("notebook_hash"),
            fingerprint=run.get("fingerprint"),
        )
        rows.append(row)
    columns = [
        "run", "replicate", "seed", *(f"param_{name}" for name in swept), "params",
        *names, *(f"rank_{name}" for name in requested), *_RUN_COLUMNS,
    ]  # fmt: skip
    types = {"run": "int64", "replicate": "int64", "seed": "int64", "params": "string",
             **{name: "double" for name in requested},
             **{f"rank_{name}": "int64" for name in requested}, **_RUN_COLUMNS}  # fmt: skip
    return ResultsTable(columns, rows, types)


def best_parameters(
    table: ResultsTable, *, swept: list[str], metric: dict[str, str]
) -> dict[str, Any] | None:
    """Parameters of the best grid point by `metric`, averaged over replicates.

    Replicates differ only in `seed`, so points are grouped by their other swept
    parameters; the seed is left out of the result unless the grid sweeps it alone.
    Of points with the same mean, the first in grid order wins.
    """
    name = metric["name"]
    if name not in table.columns:
        return None
    scored = [row for row in table.rows if row["status"] == "ok" and not _missing(row[name])]
    if not scored:
        return None
    replicated = any(row["replicate"] > 0 for row in scored)
    keys = [f"param_{p}" for p in swept if not (replicated and p == "seed")]
    pick = max if metric["goal"] == "max" else min
    if not keys:
        return {"parameters": {}, name: float(pick(row[name] for row in scored)),
                "runs": len(scored)}  # fmt: skip
    points: dict[str, list[float]] = {}
    for row in scored:
        point = json.dumps([row[k] for k in keys], sort_keys=True)
        points.setdefault(point, []).append(row[name])
    means = {point: statistics.fmean(values) for point, values in points.items()}
    best = pick(means, key=means.__getitem__)
    parameters = {k.removeprefix("param_"): v for k, v in zip(keys, json.loads(best), strict=True)}
    return {"parameters": parameters, name: means[best], "runs": len(points[best])}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell_text(value: Any) -> str:
    """A CSV cell: floats at full precision, missing values empty."""
    if _missing(value):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(table: ResultsTable, path: Path) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_cell_text(row[name]) for name in table.columns])
    tmp.replace(path)


_INT64 = range(-(2**63), 2**63)


def _parquet_column(name: str, values: list[Any], kind: str | None) -> Column:
    """The column as Parquet stores it. Columns of no fixed kind (parameters, glued
    values) take the kind all their values share; values mixing kinds (a grid may sweep
    [1, "auto", None]), lists and mappings become JSON text."""
    values = [None if _missing(v) else v for v in values]
    present = [v for v in values if v is not None]
    if kind is None:
        if all(isinstance(v, bool) for v in present):
            kind = "boolean"
        elif all(isinstance(v, int) and not isinstance(v, bool) and v in _INT64
                 for v in present):  # fmt: skip
            kind = "int64"
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            kind, values = "double", [None if v is None else float(v) for v in values]
        else:
            if not all(isinstance(v, str) for v in present):
                values = [None if v is None else json.dumps(v, sort_keys=True) for v in values]
            kind = "string"
    return Column(name, kind, values)


def write_parquet(table: ResultsTable, path: Path) -> None:
    from .. import __version__

    columns = [
        _parquet_column(name, table.column(name), table.types.get(name)) for name in table.columns
    ]
    tmp = path.with_suffix(".parquet.tmp")
    tmp.write_bytes(parquet_bytes(columns, created_by=f"jupyter-env-manager {__version__}"))
    tmp.replace(path)


def write_results(table: ResultsTable, out_dir: str | Path) -> tuple[Path, Path]:
    """Write `results.csv` and `results.parquet` into `out_dir`; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = out / RESULTS_CSV, out / RESULTS_PARQUET
    write_csv(table, csv_path)
    write_parquet(table, parquet_path)
    return csv_path, parquet_path
