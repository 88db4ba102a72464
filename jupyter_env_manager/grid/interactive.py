"""`grid_search()`: run a grid from inside a notebook, with a live progress view.

A notebook kernel already runs an event loop on its main thread, so the grid
cannot simply be `asyncio.run` there. The grid runs on its own event loop in a
background thread; its events go through a queue to a "pump" that updates the
view (an ipywidgets progress bar and results table inside a kernel, plain lines
elsewhere). With `wait=True` (the default) the pump runs in the calling thread,
which therefore blocks like any long cell and lets Ctrl-C / "interrupt kernel"
cancel the grid; with `wait=False` the pump gets a thread of its own and the
caller gets a `GridRun` handle at once.

Input is checked exactly like the CLI does (`plan_grid` and the same option
checks) before any thread, cluster or output directory exists.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import InvalidGrid
from .plan import GridPlan, plan_grid
from .runner import GridEvent, GridSearch, GridSummary
from .spec import grid_from_sweeps, load_grid_file, normalize_grid
from .store import GridStore

__all__ = ["GridRun", "grid_search"]

log = logging.getLogger(__name__)

#: Re-rendering the table costs a store read and an HTML render; coalesce bursts.
TABLE_REFRESH_SECONDS = 0.3
_END = object()
_FAILED = ("failed", "timeout", "refused")
_HIDDEN_COLUMNS = {
    "params",
    "started",
    "ended",
    "output_notebook",
    "worker",
    "kernel_name",
    "notebook_hash",
    "fingerprint",
}


# -- input ------------------------------------------------------------------------


def _grid_input(grid: Any, params: Any) -> Any:
    """`grid=` (dict, list of dicts, or a YAML/JSON file) or `params=` (CLI sweeps)."""
    if grid is not None and params is not None:
        raise InvalidGrid("Give either grid= or params=, not both.")
    if isinstance(grid, (str, os.PathLike)):
        return load_grid_file(grid)
    if grid is not None:
        return normalize_grid(grid)
    if params is None:
        # Like the CLI without --param: one run with the notebook's defaults.
        return grid_from_sweeps([])
    if isinstance(params, Mapping):
        return normalize_grid(params, source="params")
    if isinstance(params, str):
        params = [params]
    if not isinstance(params, Sequence) or not all(isinstance(p, str) for p in params):
        raise InvalidGrid(
            "params= takes sweeps like the CLI's --param ('alpha=1e-3,1e-4' or a list of "
            "them) or a dict of value lists."
        )
    return grid_from_sweeps(list(params))


def _metrics(metric: str | Sequence[str] | None) -> list[str]:
    if metric is None:
        return []
    if isinstance(metric, str):
        return [metric]
    if not all(isinstance(m, str) for m in metric):
        raise InvalidGrid("metric= takes a variable name or a list of names.")
    return list(metric)


def _scheduler_address(scheduler: Any) -> str | None:
    """An address, or a dask `LocalCluster`/`Client` whose scheduler to use."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    address = getattr(scheduler, "scheduler_address", None)
    if isinstance(address, str):
        return address
    inner = getattr(scheduler, "scheduler", None)
    address = getattr(inner, "address", None)
    if isinstance(address, str):
        return address
    raise InvalidGrid(
        "scheduler= takes an address like 'tcp://host:8786', a dask Client or a cluster; "
        f"got {type(scheduler).__name__}."
    )


def _check_workers(workers: Any) -> None:
    if workers is None:
        return
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidGrid(f"workers must be a whole number of at least 1, got {workers!r}.")


def _out_dir(notebook: Path, out_dir: str | os.PathLike[str] | None) -> Path:
    if out_dir is not None:
        out = Path(out_dir)
        if GridStore.holds_grid(out):
            raise InvalidGrid(
                f"{out} already holds a grid; pick another out_dir, or resume that one with "
                f"`jupyter env-manager grid {notebook.name} --resume --out {out}`."
            )
        return out
    # Re-running a cell must not collide with the previous grid, so default names are unique.
    base = notebook.parent / f"{notebook.stem}-grid-{time.strftime('%Y%m%d-%H%M%S')}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


# -- views ------------------------------------------------------------------------


def _best_row(frame: Any, metric: dict[str, str] | None) -> Any:
    """The best finished row by the first metric (rank 1 among scored `ok` rows)."""
    if metric is None or frame.empty or metric["name"] not in frame:
        return None
    scored = frame[(frame["status"] == "ok") & frame[metric["name"]].notna()]
    if scored.empty:
        return None
    column = scored[metric["name"]]
    position = column.idxmax() if metric["goal"] == "max" else column.idxmin()
    return scored.loc[position]


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so they print as the notebook wrote them."""
    return value.item() if hasattr(value, "item") else value


def _describe_best(row: Any, metric: dict[str, str], swept: list[str]) -> str:
    params = ", ".join(f"{name}={_plain(row[f'param_{name}'])!r}" for name in swept)
    value = _plain(row[metric["name"]])
    return f"best so far: run {_plain(row['run'])}, {metric['name']} = {value!r}" + (
        f" ({params})" if params else ""
    )


class _View:
    """What the pump drives; subclasses show it somewhere."""

    def __init__(self, plan: GridPlan, out_dir: Path) -> None:
        self.plan = plan
        self.out_dir = out_dir
        self.total = len(plan.runs)
        self.done = 0
        self.failed = 0
        self.metric = plan.metrics[0].to_json() if plan.metrics else None

    def event(self, event: GridEvent) -> None:
        self.done, self.total = event.done, event.total or self.total
        if event.kind == "run_finished" and event.status in _FAILED:
            self.failed += 1

    def table(self, frame: Any) -> None:
        pass

    def finished(self, state: str, frame: Any, summary: GridSummary | None) -> None:
        pass


class _PrintView(_View):
    """Plain lines, for scripts and kernels without ipywidgets."""

    def __init__(self, plan: GridPlan, out_dir: Path, stream: Any) -> None:
        super().__init__(plan, out_dir)
        self.stream = stream
        self._say(f"grid of {self.total} runs of {plan.notebook.path.name}; output in {out_dir}")

    def _say(self, text: str) -> None:
        print(f"[grid] {text}", file=self.stream, flush=True)

    def event(self, event: GridEvent) -> None:
        super().event(event)
        if event.kind == "run_finished":
            text = f"{self.done}/{self.total} run {event.index}: {event.status}"
            if event.message:
                text += f" ({event.message.splitlines()[0][:120]})"
            self._say(text)
        elif event.kind == "run_retry":
            self._say(f"run {event.index}: retrying after {event.status}")
        elif event.kind == "grid_started":
            self._say(event.message)

    def finished(self, state: str, frame: Any, summary: GridSummary | None) -> None:
        counts = frame["status"].value_counts().to_dict() if not frame.empty else {}
        text = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no runs"
        self._say(f"{state}: {text}")
        if summary is not None and summary.best and self.metric is not None:
            name = self.metric["name"]
            params = ", ".join(f"{k}={v!r}" for k, v in summary.best["parameters"].items())
            self._say(f"best ({name}, {self.metric['goal']}): {summary.best[name]!r} with {params}")
        if summary is not None and summary.results_csv:
            self._say(f"results: {summary.results_csv}")


class _WidgetView(_View):
    """An `IntProgress` bar, a status line and an `Output` with the live results table."""

    def __init__(self, plan: GridPlan, out_dir: Path, widgets: Any) -> None:
        super().__init__(plan, out_dir)
        from IPython.display import display

        self.bar = widgets.IntProgress(
            value=0, min=0, max=max(1, self.total), description="Grid", bar_style="info"
        )
        self.label = widgets.HTML(value=self._status_text("starting"))
        self.output = widgets.Output()
        self.box = widgets.VBox([widgets.HBox([self.bar, self.label]), self.output])
        display(self.box)

    def _status_text(self, state: str) -> str:
        text = f"{self.done}/{self.total} done"
        if self.failed:
            text += f", {self.failed} failed"
        return html.escape(f"{text} · {state} · {self.out_dir}")

    def event(self, event: GridEvent) -> None:
        super().event(event)
        self.bar.max = max(1, self.total)
        self.bar.value = self.done
        if self.failed:
            self.bar.bar_style = "danger"
        self.label.value = self._status_text("running")

    def table(self, frame: Any) -> None:
        shown = frame[[c for c in frame.columns if c not in _HIDDEN_COLUMNS]]
        if "error" in shown and shown["error"].isna().all():
            shown = shown.drop(columns="error")
        best = _best_row(frame, self.metric)
        caption = ""
        rendered = shown.to_html(index=False, na_rep="")
        if best is not None and self.metric is not None:
            caption = html.escape(_describe_best(best, self.metric, self.plan.swept))
            rendered = self._highlighted(shown, best.name) or rendered
        # Assigning `outputs` (rather than `with output:`) is safe from any thread.
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {
                    "text/plain": (caption + "\n" if caption else "") + shown.to_string(),
                    "text/html": (f"<p><b>{caption}</b></p>" if caption else "") + rendered,
                },
                "metadata": {},
            },
        )

    @staticmethod
    def _highlighted(shown: Any, best_label: Any) -> str | None:
        try:  # Styler needs jinja2, which a minimal kernel environment may lack
            styler = shown.style.apply(
                lambda row: (
                    ["background-color: rgba(76, 175, 80, 0.25)" if row.name == best_label else ""]
                    * len(row)
                ),
                axis=1,
            ).hide(axis="index")
            return str(styler.format(na_rep="").to_html())
        except ImportError:
            return None

    def finished(self, state: str, frame: Any, summary: GridSummary | None) -> None:
        self.bar.value = self.done
        if state != "finished":
            self.bar.bar_style = "warning"
        elif self.failed or (not frame.empty and (frame["status"] != "ok").any()):
            self.bar.bar_style = "danger"
        else:
            self.bar.bar_style = "success"
        self.label.value = self._status_text(state)
        self.table(frame)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _make_view(plan: GridPlan, out_dir: Path, show: bool) -> _View:
    if not show:
        return _View(plan, out_dir)
    if _in_kernel():
        try:
            import ipywidgets
        except ImportError:
            pass
        else:
            return _WidgetView(plan, out_dir, ipywidgets)
    return _PrintView(plan, out_dir, sys.stdout)


def _safely(function: Callable[..., None], *args: Any) -> None:
    """A view that fails (a closed comm, a rendering bug) must not stop the grid."""
    try:
        function(*args)
    except Exception:
        log.exception("updating the grid progress view failed")


# -- the run ----------------------------------------------------------------------


class GridRun:
    """A grid running in a background thread: `result()`, `cancel()`, `status()`."""

    def __init__(self, search: GridSearch, view: _View) -> None:
        self.search = search
        self.grid_id = search.grid_id
        self.out_dir = search.out_dir
        self._view = view
        self._events: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancel_wanted = False
        self._done = threading.Event()
        self._shown = threading.Event()
        self._summary: GridSummary | None = None
        self._frame: Any = None
        self._error: BaseException | None = None
        self._final_counts: dict[str, int] | None = None
        search.on_event = self._events.put
        self._thread = threading.Thread(target=self._run, name=f"grid-{self.grid_id}", daemon=True)

    # -- background thread --------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            self._summary = loop.run_until_complete(self._main(loop))
            self._frame = self._finished_frame()
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self._error = error
        finally:
            with self._lock:
                self._loop = None
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
            self._keep_final_state()
            self._events.put(_END)
            self._done.set()

    def _keep_final_state(self) -> None:
        """What `status()` and the view need once the grid ended."""
        try:
            if self._frame is None:
                self._frame = self.search.results()
            self._final_counts = self.search.store.counts(self.grid_id)
        except Exception as error:  # noqa: BLE001 - the grid's own error matters more
            log.debug("reading the final grid state failed: %s", error)

    async def _main(self, loop: asyncio.AbstractEventLoop) -> GridSummary:
        task = asyncio.ensure_future(self.search.run())
        # One loop turn lets run() reset its cancel flag; a cancel asked for
        # earlier is applied only after that, so it is not lost.
        await asyncio.sleep(0)
        with self._lock:
            self._loop = loop
            if self._cancel_wanted:
                self.search.cancel()
        return await task

    def _finished_frame(self) -> Any:
        frame = self.search.results()
        summary = self._summary
        if summary is not None:
            frame.attrs.update(
                grid_id=summary.grid_id,
                out_dir=summary.out_dir,
                state=summary.state,
                best=summary.best,
                results_csv=summary.results_csv,
                results_parquet=summary.results_parquet,
            )
        return frame

    # -- the view -----------------------------------------------------------------

    def _pump(self) -> None:
        """Feed events to the view until the grid ends."""
        dirty = False
        last_render = 0.0
        while True:
            try:
                item = self._events.get(timeout=0.1)
            except queue.Empty:
                item = None
            if item is _END:
                break
            if isinstance(item, GridEvent):
                _safely(self._view.event, item)
                dirty = dirty or item.kind == "run_finished"
            now = time.monotonic()
            if dirty and self._events.empty() and now - last_render >= TABLE_REFRESH_SECONDS:
                _safely(lambda: self._view.table(self.search.results()))
                dirty, last_render = False, now
        while not self._events.empty():
            item = self._events.get_nowait()
            if isinstance(item, GridEvent):
                _safely(self._view.event, item)
        state = self._summary.state if self._summary else "failed"
        if self._frame is not None:
            _safely(self._view.finished, state, self._frame, self._summary)
        # Only the pump still reads the store at this point; release the connection.
        self.search.store.close()
        self._shown.set()

    def _start(self, *, background_view: bool) -> None:
        self._thread.start()
        if background_view:
            threading.Thread(
                target=self._pump, name=f"grid-{self.grid_id}-view", daemon=True
            ).start()

    # -- public -------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the grid: running runs are killed and recorded `cancelled`."""
        with self._lock:
            self._cancel_wanted = True
            loop = self._loop
            if loop is not None:
                loop.call_soon_threadsafe(self.search.cancel)

    def done(self) -> bool:
        return self._done.is_set()

    def status(self) -> dict[str, Any]:
        if self._done.is_set():
            counts = self._final_counts or {}
        else:
            counts = self.search.store.counts(self.grid_id)
        if self._done.is_set():
            state = self._summary.state if self._summary else "failed"
        else:
            state = "cancelling" if self._cancel_wanted else "running"
        return {
            "grid_id": self.grid_id,
            "out_dir": str(self.out_dir),
            "state": state,
            "total": sum(counts.values()),
            "done": sum(counts.get(s, 0) for s in ("ok", *_FAILED)),
            "counts": counts,
        }

    def result(self, timeout: float | None = None) -> Any:
        """The results DataFrame once the grid ends; re-raises what stopped it."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"Grid {self.grid_id} is still running.")
        # The view's last render follows the end by a moment; keep output in order.
        self._shown.wait(5.0)
        if self._error is not None:
            raise self._error
        return self._frame

    def _wait_in_caller(self) -> Any:
        """Block, showing progress; an interrupt cancels the grid and is re-raised."""
        try:
            self._pump()
        except KeyboardInterrupt:
            self.cancel()
            # The grid stops its kernels before ending; wait so none outlives the cell.
            self._done.wait()
            self._pump()
            raise
        return self.result()

    def __repr__(self) -> str:
        status = self.status()
        return (
            f"<GridRun {self.grid_id} {status['state']} {status['done']}/{status['total']} "
            f"in {self.out_dir}>"
        )


def grid_search(
    notebook: str | os.PathLike[str],
    grid: Any = None,
    *,
    params: Any = None,
    env: str | None = None,
    kernel: str | None = None,
    metric: str | Sequence[str] | None = None,
    maximize: bool = True,
    workers: int | None = None,
    seed: int | None = None,
    repeats: int = 1,
    timeout: float | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    scheduler: Any = None,
    fork_kernels: bool = True,
    show: bool = True,
    wait: bool = True,
) -> Any:
    """Run `notebook` once per grid point and return the results as a pandas DataFrame.

    `grid` is a dict of value lists, a list of such dicts (scikit-learn ParameterGrid
    semantics) or a YAML/JSON file; `params` takes CLI-style sweeps instead
    (`["alpha=1e-3,1e-4", "norm=l1,l2"]`). Runs use `kernel` (default `python3`) or
    the Python kernel of environment `env`. `metric` names the variable(s) to collect;
    the first ranks the runs (`maximize=False` for a loss; `"loss:min"` works too).
    `scheduler` is a Dask address, Client or cluster; by default an embedded local
    cluster with `workers` workers runs the grid. Python kernels are forked from a
    pre-imported template unless `fork_kernels=False`. Results are also written to
    `out_dir` (default: `<notebook>-grid-<time>` next to the notebook) as CSV and
    Parquet; `frame.attrs` holds the grid id, output paths and best parameters.

    Everything is checked before anything runs: bad input raises an `EnvManagerError`.
    With `wait=False` this returns a `GridRun` at once (`.result()`, `.cancel()`,
    `.status()`); the progress view keeps updating from a background thread.
    """
    notebook_path = Path(notebook)
    checked_grid = _grid_input(grid, params)
    _check_workers(workers)
    address = _scheduler_address(scheduler)
    if not isinstance(maximize, bool):
        raise InvalidGrid(f"maximize must be True or False, got {maximize!r}.")
    plan = plan_grid(
        notebook_path,
        checked_grid,
        kernel_name=kernel or (None if env else "python3"),
        env=env,
        metrics=_metrics(metric),
        goal="max" if maximize else "min",
        repeats=repeats,
        seed=seed,
        timeout=timeout,
    )
    out = _out_dir(notebook_path, out_dir)
    search = GridSearch.create(
        plan, out, workers=workers, scheduler_address=address, fork_kernels=fork_kernels
    )
    handle = GridRun(search, _make_view(plan, out, show))
    if not wait:
        handle._start(background_view=True)
        return handle
    handle._start(background_view=False)
    return handle._wait_in_caller()
