"""MLflow tracking of a real grid: every recorded run, read back from a real MLflow store.

The store is a `file://` folder in tmp_path: no server, no SQLAlchemy (which
mlflow-skinny lacks); MLflow 3 opens such stores only with MLFLOW_ALLOW_FILE_STORE.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from jupyter_env_manager.cli.main import main
from jupyter_env_manager.grid.plan import plan_grid
from jupyter_env_manager.grid.runner import GridSearch
from jupyter_env_manager.grid.store import GridStore
from jupyter_env_manager.grid.tracking import MlflowTracker

PARAMETERS = 'x = 1\nlabel = "a"\nscale = 0.5\nseed = 0\n'
CODE = """\
from IPython.display import display
if x == 3:
    raise ValueError(f"x={x} is bad")
value = x * scale + seed / 10
display({"application/scrapbook.scrap.json+json": {"name": "tag", "data": f"{label}-{x}",
         "encoder": "json", "version": 1}}, raw=True,
        metadata={"scrapbook": {"name": "tag", "data": True, "display": False}})
"""


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return (tmp_path / "mlruns").as_uri()


def mlflow_runs(uri: str, experiment: str) -> dict[int, object]:
    """MLflow runs of `experiment`, by grid run index."""
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    runs = client.search_runs([found.experiment_id], max_results=1000)
    by_index = {int(run.data.tags["grid.run"]): run for run in runs}
    assert len(by_index) == len(runs), "a grid run was logged twice"
    return by_index


def test_each_recorded_run_is_an_mlflow_run_equal_to_the_results_table(
    make_notebook, tmp_path: Path, mlflow_uri: str, capsys
):
    notebook = make_notebook(PARAMETERS, CODE)
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "-p", "x=1,3", "--repeats", "2", "--seed", "5"]
    argv += ["-m", "value", "--workers", "1", "--out", str(out), "--mlflow-uri", mlflow_uri]
    assert main(argv) == 1  # the x=3 runs fail
    assert f"mlflow: experiment 'nb' at {mlflow_uri}" in capsys.readouterr().out

    frame = pd.read_csv(out / "results.csv")
    grid_id = GridStore.in_dir(out).latest_grid_id()
    assert list(frame["status"]) == ["ok", "ok", "failed", "failed"]
    runs = mlflow_runs(mlflow_uri, "nb")
    assert sorted(runs) == [0, 1, 2, 3]

    client = MlflowClient(mlflow_uri)
    for row in frame.itertuples():
        run = runs[row.run]
        tags = run.data.tags
        assert run.info.run_name == f"run-{row.run:04d}"
        assert tags["grid.id"] == grid_id
        assert tags["grid.seed"] == str(row.seed)
        assert tags["grid.replicate"] == str(row.replicate)
        assert tags["grid.kernel_name"] == "python3"
        assert tags["grid.notebook"] == str(notebook.resolve())
        assert tags["grid.notebook_hash"] == row.notebook_hash
        assert tags.get("grid.fingerprint") == (
            None if pd.isna(row.fingerprint) else row.fingerprint
        )
        assert tags["grid.status"] == row.status
        # The run's own times, not the time it was logged.
        assert run.info.start_time == round(row.started * 1000)
        assert run.info.end_time == round(row.ended * 1000)

        # Params: the full set as the store holds it (defaults filled in), strings
        # as they are, other values as JSON.
        stored = json.loads(row.params)
        assert run.data.params == {
            k: v if isinstance(v, str) else json.dumps(v) for k, v in stored.items()
        }

        output = Path(row.output_notebook)
        artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
        assert artifacts == [output.name]
        copy = client.download_artifacts(run.info.run_id, output.name, str(tmp_path))
        assert Path(copy).read_bytes() == output.read_bytes()

        if row.status == "ok":
            assert run.info.status == "FINISHED"
            assert run.data.metrics == {"value": row.value}
            # A glued string is no MLflow metric: it is a tag.
            assert tags["metric.tag"] == f"a-{stored['x']}"
            assert "grid.error" not in tags
        else:
            assert run.info.status == "FAILED"
            assert run.data.metrics == {}
            assert tags["grid.error"] == row.error
            assert "ValueError: x=3 is bad" in tags["grid.error"]

    assert runs[0].data.params == {"x": "1", "label": "a", "scale": "0.5", "seed": "5"}
    assert runs[1].data.params["seed"] == "6"
    assert runs[1].data.metrics == {"value": 0.5 + 6 / 10}

    # Re-running the failures records them again: one more MLflow run each, in the
    # experiment given this time; the first runs stay.
    argv = ["grid", str(notebook), "--rerun-failed", "--workers", "1", "--out", str(out)]
    argv += ["--mlflow-uri", mlflow_uri, "--mlflow-experiment", "again"]
    assert main(argv) == 1
    again = mlflow_runs(mlflow_uri, "again")
    assert sorted(again) == [2, 3]
    assert {run.data.tags["grid.id"] for run in again.values()} == {grid_id}
    assert sorted(mlflow_runs(mlflow_uri, "nb")) == [0, 1, 2, 3]


def test_a_failing_mlflow_does_not_stop_the_grid(
    make_notebook, tmp_path: Path, mlflow_uri: str, caplog
):
    notebook = make_notebook(PARAMETERS, CODE)
    tracker = MlflowTracker(mlflow_uri)
    experiment_id = tracker.connect("nb")
    # Deleted after the tracker opened it: MLflow refuses every run from then on, as
    # a tracking server going down mid-grid would.
    MlflowClient(mlflow_uri).delete_experiment(experiment_id)
    plan = plan_grid(notebook, {"x": [1, 2]}, kernel_name="python3", metrics=["value"])
    search = GridSearch.create(plan, tmp_path / "out", workers=1, tracking=tracker)
    with caplog.at_level(logging.WARNING, logger="jupyter_env_manager.grid.tracking"):
        summary = asyncio.run(search.run())

    assert summary.counts["ok"] == 2
    assert list(search.results()["value"]) == [0.5, 1.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all(f"of grid {search.grid_id} not logged" in w for w in warnings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--mlflow-experiment", "x"], "--mlflow-experiment needs --mlflow or --mlflow-uri."),
        (
            ["--mlflow-uri", "nope://nowhere"],
            "MLflow cannot open experiment 'nb' at nope://nowhere",
        ),
        (
            ["--mlflow-uri", "URI", "--mlflow-experiment", "gone"],
            "MLflow experiment 'gone' is deleted",
        ),
        pytest.param(
            ["--mlflow-uri", "sqlite:///SQLITE"],
            "a database store needs SQLAlchemy, which mlflow-skinny lacks: `pip install mlflow`",
            marks=pytest.mark.skipif(
                find_spec("sqlalchemy") is not None, reason="with SQLAlchemy, sqlite works"
            ),
        ),
    ],
)
def test_an_unusable_mlflow_is_refused_before_anything_runs(
    make_notebook, tmp_path: Path, mlflow_uri: str, capsys, options: list[str], message: str
):
    client = MlflowClient(mlflow_uri)
    client.delete_experiment(client.create_experiment("gone"))
    ran = tmp_path / "ran"
    notebook = make_notebook("x = 0", f"open({str(ran)!r}, 'w').close()")
    out = tmp_path / "out"
    options = [
        option.replace("URI", mlflow_uri).replace("SQLITE", str(tmp_path / "mlflow.db"))
        for option in options
    ]
    assert main(["grid", str(notebook), "-p", "x=1", "--out", str(out), *options]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not ran.exists()
    assert client.get_experiment_by_name("nb") is None
    assert not (tmp_path / "mlflow.db").exists()


def test_without_mlflow_the_option_is_refused_and_grids_still_run(
    make_notebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    # A None entry makes every `import mlflow` raise ImportError, as when it is absent.
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlflow", None)
    ran = tmp_path / "ran"
    notebook = make_notebook("x = 0", f"open({str(ran)!r}, 'w').close()\nvalue = x")
    out = tmp_path / "out"
    argv = ["grid", str(notebook), "-p", "x=1", "-m", "value", "--workers", "1", "--out", str(out)]

    assert main([*argv, "--mlflow"]) == 1
    error = capsys.readouterr().err
    assert "MLflow tracking needs mlflow" in error and "pip install mlflow" in error
    assert not out.exists() and not ran.exists()

    assert main(argv) == 0
    assert ran.exists()
    assert list(pd.read_csv(out / "results.csv")["value"]) == [1.0]
