"""One results table per grid, shaped like scikit-learn's `cv_results_`.

Rows are runs in grid order. Columns: `run`, `replicate`, `seed`, `param_<name>`
for every swept parameter, `params` (the full parameter set as JSON), one column
per metric named as the metric (requested metrics first, then other glued values),
`rank_<metric>` for each requested metric (1 = best by its goal, ties share the
lowest rank like scikit-learn's `rankdata(method="min")`; runs without a value
rank last), then `status`, `error`, `duration`, `started`, `ended`,
`output_notebook`, `attempts`, `worker`, `kernel_name`, `notebook_hash`,
`fingerprint`.

Floats are kept as float64 end to end (CSV written with `repr` precision), so a
value read back equals the one the notebook computed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"


def import_table_libraries() -> None:
    """Import pandas and pyarrow ahead of need (a grid does it in a thread while its
    first kernels start, instead of after its last run)."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def _metric_names(runs: list[dict[str, Any]], requested: list[str]) -> list[str]:
    extra: list[str] = []
    for run in runs:
        for name in run.get("metrics") or {}:
            if name not in requested and name not in extra:
                extra.append(name)
    return [*requested, *extra]


def results_frame(
    runs: list[dict[str, Any]], *, swept: list[str], metrics: list[dict[str, str]]
) -> pd.DataFrame:
    """Build the table from store rows (`GridStore.runs`) and the plan's metrics."""
    import pandas as pd  # imported on use: the server imports this module at start

    requested = [m["name"] for m in metrics]
    names = _metric_names(runs, requested)
    rows = []
    for run in runs:
        values = run.get("metrics") or {}
        row: dict[str, Any] = {
            "run": run["index"],
            "replicate": run["replicate"],
            "seed": run["seed"],
        }
        for name in swept:
            row[f"param_{name}"] = run["parameters"].get(name)
        row["params"] = json.dumps(run["parameters"], sort_keys=True)
        for name in names:
            row[name] = values.get(name)
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
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["seed"] = frame["seed"].astype("Int64")
    for spec in metrics:
        name = spec["name"]
        numeric = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        frame[name] = numeric
        ascending = spec["goal"] == "min"
        # Failed runs carry no score: they rank after every scored run.
        ranks = numeric.rank(method="min", ascending=ascending, na_option="keep")
        worst = int(ranks.max()) + 1 if ranks.notna().any() else 1
        frame[f"rank_{name}"] = ranks.fillna(worst).astype("int64")
    rank_columns = [f"rank_{spec['name']}" for spec in metrics]
    others = [c for c in frame.columns if c not in rank_columns]
    position = others.index("status")
    return frame[others[:position] + rank_columns + others[position:]]


def best_parameters(
    frame: pd.DataFrame, *, swept: list[str], metric: dict[str, str]
) -> dict[str, Any] | None:
    """Parameters of the best grid point by `metric`, averaged over replicates.

    Replicates differ only in `seed`, so points are grouped by their other swept
    parameters; the seed is left out of the result unless the grid sweeps it alone.
    """
    name = metric["name"]
    if frame.empty or name not in frame:
        return None
    scored = frame[(frame["status"] == "ok") & frame[name].notna()]
    if scored.empty:
        return None
    replicated = "replicate" in scored and scored["replicate"].max() > 0
    keys = [f"param_{p}" for p in swept if not (replicated and p == "seed")]
    if not keys:
        best_value = scored[name].max() if metric["goal"] == "max" else scored[name].min()
        return {"parameters": {}, name: float(best_value), "runs": int(len(scored))}
    grouped = scored.groupby(
        [scored[k].map(lambda v: json.dumps(v, sort_keys=True)) for k in keys], sort=False
    )[name].agg(["mean", "count"])
    best = grouped["mean"].idxmax() if metric["goal"] == "max" else grouped["mean"].idxmin()
    best_key = best if isinstance(best, tuple) else (best,)
    parameters = {
        k.removeprefix("param_"): json.loads(v) for k, v in zip(keys, best_key, strict=True)
    }
    return {
        "parameters": parameters,
        name: float(grouped.loc[best, "mean"]),
        "runs": int(grouped.loc[best, "count"]),
    }


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types (a grid may sweep [1, "auto", None]) become JSON text."""
    import pyarrow as pa

    ready = frame.copy()
    for column in ready.columns:
        if ready[column].dtype != object:
            continue
        try:
            pa.array(ready[column].tolist())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            ready[column] = [
                None if v is None else json.dumps(v, sort_keys=True) for v in ready[column]
            ]
    return ready


def _float_text(value: float) -> str:
    return repr(float(value)) if not math.isnan(value) else ""


def write_results(frame: pd.DataFrame, out_dir: str | Path) -> tuple[Path, Path]:
    """Write `results.csv` and `results.parquet` into `out_dir`; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = out / RESULTS_CSV, out / RESULTS_PARQUET
    as_text = frame.copy()
    for column in as_text.columns:
        if as_text[column].dtype == "float64":
            as_text[column] = as_text[column].map(_float_text)
    tmp_csv = csv_path.with_suffix(".csv.tmp")
    as_text.to_csv(tmp_csv, index=False)
    tmp_csv.replace(csv_path)
    tmp_parquet = parquet_path.with_suffix(".parquet.tmp")
    _parquet_ready(frame).to_parquet(tmp_parquet, index=False)
    tmp_parquet.replace(parquet_path)
    return csv_path, parquet_path
