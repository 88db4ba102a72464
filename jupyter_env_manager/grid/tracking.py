"""Log every recorded grid run to MLflow, when asked (`--mlflow`, `--mlflow-uri`).

One MLflow run per recorded grid run (`ok`, `failed`, `timeout`, `refused`), named
like its output notebook (`run-0003`), in an experiment named after the notebook
(`train` for train.ipynb) unless one is given. It carries:

- params: the run's full parameter set, defaults filled in, as the store holds it;
  strings as they are, other values as JSON (`null`, `true`, `[1, 2]`), whatever the
  notebook's language;
- metrics: the numeric metrics (NaN included), at step 0;
- tags: `grid.id`, `grid.run`, `grid.replicate`, `grid.seed`, `grid.kernel_name`,
  `grid.notebook`, `grid.notebook_hash`, `grid.fingerprint`, `grid.status`,
  `grid.error`, `grid.worker`, and `metric.<name>` for non-numeric metrics;
- the output notebook as an artifact; the run's own start and end times; status
  FINISHED for `ok`, FAILED otherwise (`grid.status` says which failure).

A run recorded again by `--rerun-failed` gets a new MLflow run; the failed one stays.

Logging happens in the coordinator as each run is recorded, so MLflow has every run
when `GridSearch.run()` returns; a slow tracking server delays the coordinator (not
the kernels, which run on) by its latency, a few requests per run.

mlflow is imported only when a tracker is made, so the package works without it.
The CLI makes the tracker, and opens the tracking store and experiment, before the
grid writes anything, so a missing mlflow or a store MLflow refuses stops the grid
before it starts.

Stores: the URI is resolved by MLflow when none is given (`MLFLOW_TRACKING_URI`, else
`./mlruns` if that folder exists, else `sqlite:///mlflow.db`, as of MLflow 3.17). A
`sqlite://` store needs SQLAlchemy, which the full `mlflow` package brings and
`mlflow-skinny` does not; `http(s)://` servers work with both. MLflow 3 keeps
`file://` stores in maintenance mode and opens them only with
`MLFLOW_ALLOW_FILE_STORE=true`: that is what the tests use, since it needs neither a
server nor SQLAlchemy.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidGrid

if TYPE_CHECKING:
    from .runner import GridSearch

log = logging.getLogger(__name__)

# MLflow refuses longer values, and with them the whole batch; the results table
# keeps the full value.
MAX_PARAM_LENGTH = 6000
MAX_TAG_LENGTH = 8000
DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _is_number(value: Any) -> bool:
    # A bool is an int to Python but not a measurement: it goes to the tags.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _database_hint(uri: str) -> str:
    # mlflow-skinny's refusal of a database URI speaks of the model registry instead;
    # MLflow 3's default URI is one, so this is what a bare --mlflow meets first.
    if uri.split(":", 1)[0].split("+")[0] not in DATABASE_SCHEMES:
        return ""
    if importlib.util.find_spec("sqlalchemy") is not None:
        return ""
    return (
        " (a database store needs SQLAlchemy, which mlflow-skinny lacks: "
        "`pip install mlflow`, or give an http(s):// tracking server)"
    )


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


class MlflowTracker:
    """Logs each recorded run of a `GridSearch` given `tracking=` this tracker."""

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None) -> None:
        try:
            from mlflow.tracking import MlflowClient, get_tracking_uri
        except ImportError as error:
            raise InvalidGrid(
                f"MLflow tracking needs mlflow, which cannot be imported ({error}). "
                "Install it with `pip install mlflow` (or mlflow-skinny), or run without --mlflow."
            ) from None
        self._client_class = MlflowClient
        #: As given, or as MLflow resolves it (MLFLOW_TRACKING_URI, else its default).
        self.tracking_uri = tracking_uri or get_tracking_uri()
        self.experiment = experiment
        self._client: Any = None
        self._experiment_id: str | None = None
        #: Per grid: its run rows by index, read once for what never changes in them
        #: (parameters, replicate, seed, kernel, notebook hash, planned fingerprint).
        self._rows: dict[str, dict[int, dict[str, Any]]] = {}

    def connect(self, default_experiment: str) -> str:
        """Open the store and the experiment (created if new); its id, or InvalidGrid."""
        if self._experiment_id is not None:
            return self._experiment_id
        name = self.experiment or default_experiment
        try:
            client = self._client_class(self.tracking_uri)
            found = client.get_experiment_by_name(name)
            experiment_id = found.experiment_id if found else client.create_experiment(name)
        except Exception as error:  # noqa: BLE001 - any refusal means: do not start
            raise InvalidGrid(
                f"MLflow cannot open experiment {name!r} at {self.tracking_uri}: "
                f"{str(error).strip()}{_database_hint(self.tracking_uri)}"
            ) from None
        if found is not None and found.lifecycle_stage != "active":
            raise InvalidGrid(
                f"MLflow experiment {name!r} is deleted; restore it or pick another name "
                "with --mlflow-experiment."
            )
        self._client, self._experiment_id = client, experiment_id
        self.experiment = name
        return experiment_id

    def log_run(self, search: GridSearch, index: int, final: dict[str, Any]) -> None:
        """Log run `index` as recorded (`final`: the values given to `finish_run`)."""
        try:
            self._log(search, index, final)
        except Exception as error:  # noqa: BLE001
            # The grid's own record (grid.sqlite, results.csv) is written already and
            # is the truth; a lost tracking copy must not cost the runs still to do.
            log.warning("MLflow: run %d of grid %s not logged: %s", index, search.grid_id, error)

    def _row(self, search: GridSearch, index: int) -> dict[str, Any]:
        rows = self._rows.get(search.grid_id)
        if rows is None:
            # One read for the whole grid: a read per run would cost O(runs) each.
            rows = {row["index"]: row for row in search.store.runs(search.grid_id)}
            self._rows[search.grid_id] = rows
        return rows[index]

    def _tags(
        self, search: GridSearch, row: dict[str, Any], final: dict[str, Any]
    ) -> dict[str, str]:
        record = search.record
        tags = {
            "mlflow.source.name": record.notebook,
            "mlflow.source.type": "NOTEBOOK",
            "grid.id": search.grid_id,
            "grid.run": row["index"],
            "grid.replicate": row["replicate"],
            "grid.seed": row["seed"],
            "grid.kernel_name": row["kernel_name"],
            "grid.notebook": record.notebook,
            "grid.notebook_hash": row["notebook_hash"],
            "grid.fingerprint": final["fingerprint"] or row["fingerprint"],
            "grid.status": final["status"],
            "grid.error": final["error"],
            "grid.worker": final["worker"],
        }
        for name, value in (final["metrics"] or {}).items():
            if not _is_number(value):
                tags[f"metric.{name}"] = _text(value)
        return {k: _clip(str(v), MAX_TAG_LENGTH) for k, v in tags.items() if v is not None}

    def _log(self, search: GridSearch, index: int, final: dict[str, Any]) -> None:
        from mlflow.entities import Metric, Param

        experiment_id = self.connect(Path(search.record.notebook).stem)
        row = self._row(search, index)
        ended = final["ended"]
        # A run given up on after lost attempts reports no start of its own.
        started = final["started"] or ended
        run = self._client.create_run(
            experiment_id,
            start_time=_ms(started),
            tags=self._tags(search, row, final),
            run_name=f"run-{index:04d}",
        )
        run_id = run.info.run_id
        try:
            params = [
                Param(name, _clip(_text(value), MAX_PARAM_LENGTH))
                for name, value in row["parameters"].items()
            ]
            metrics = [
                Metric(name, float(value), _ms(ended), 0)
                for name, value in (final["metrics"] or {}).items()
                if _is_number(value)
            ]
            self._client.log_batch(run_id, metrics=metrics, params=params)
            if final["output"]:
                self._client.log_artifact(run_id, final["output"])
        except Exception:
            # Not left RUNNING forever in the MLflow UI; the first error is the one to report.
            try:
                self._client.set_terminated(run_id, "FAILED", end_time=_ms(ended))
            except Exception:  # noqa: BLE001
                pass
            raise
        status = "FINISHED" if final["status"] == "ok" else "FAILED"
        self._client.set_terminated(run_id, status, end_time=_ms(ended))

    def describe(self) -> str:
        return f"experiment {self.experiment!r} at {self.tracking_uri}"
