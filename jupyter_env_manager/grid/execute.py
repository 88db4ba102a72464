"""Run one grid point: a notebook with injected parameters, in one fresh kernel.

nbclient drives the kernel that the pool already started, so no start is waited for
when a spare is ready. Metrics need no package in the environment:

- named variables are read after the last cell with `user_expressions` on one
  silent execute_request; each value is sent as JSON text built in the kernel
  (numpy scalars through `.item()`), so floats keep every bit;
- scrapbook-style glued values: display outputs of MIME type
  `application/scrapbook.scrap.json+json` with `metadata.scrapbook.name`.
  A glued value wins over a variable of the same name: gluing is explicit.

Outcomes: `ok`; `failed` (a cell raised; not retried, the notebook is wrong);
`timeout` (the whole run exceeded the limit; the kernel is killed); `kernel_died`
(the coordinator retries it on a fresh kernel); `cancelled`.
"""

from __future__ import annotations

import ast
import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbformat import NotebookNode

from .kernel_pool import PooledKernel, shell_reply

SCRAP_MIME = "application/scrapbook.scrap.json+json"

# Converts a kernel value to JSON text; `.item()` turns numpy scalars into Python ones.
_TO_JSON = (
    "__import__('json').dumps({name}, default=lambda o: o.item() "
    "if hasattr(o, 'item') and getattr(o, 'size', 1) == 1 "
    "else (o.tolist() if hasattr(o, 'tolist') else repr(o)))"
)


@dataclass
class ExecutionResult:
    status: str
    started: float
    ended: float
    metrics: dict[str, Any] = field(default_factory=dict)
    missing_metrics: list[str] = field(default_factory=list)
    error: str | None = None
    notebook: NotebookNode | None = None


def glued_values(nb: NotebookNode) -> dict[str, Any]:
    """Values glued the scrapbook way, by name; a later glue of a name wins."""
    found: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            payload = output.get("data", {}).get(SCRAP_MIME)
            if not name or payload is None:
                continue
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except ValueError:
                    continue
            found[name] = payload.get("data") if isinstance(payload, dict) else payload
    return found


async def read_variables(
    kc: Any, names: list[str], *, timeout: float = 30.0
) -> tuple[dict[str, Any], list[str]]:
    """(values found, names undefined or not JSON-able) read from a live kernel."""
    if not names:
        return {}, []
    expressions = {name: _TO_JSON.format(name=name) for name in names}
    msg_id = kc.execute("", silent=True, store_history=False, user_expressions=expressions)
    reply = await shell_reply(kc, msg_id, timeout)
    results = reply["content"].get("user_expressions", {})
    values: dict[str, Any] = {}
    missing: list[str] = []
    for name in names:
        result = results.get(name, {})
        try:
            if result.get("status") != "ok":
                raise ValueError(result.get("evalue", "error"))
            values[name] = json.loads(ast.literal_eval(result["data"]["text/plain"]))
        except (KeyError, ValueError, SyntaxError, TypeError):
            missing.append(name)
    return values, missing


def _cell_error(error: CellExecutionError) -> str:
    ename = getattr(error, "ename", "") or "Error"
    evalue = getattr(error, "evalue", "") or ""
    return f"{ename}: {evalue}".strip().rstrip(":")


async def _execute_cells(client: NotebookClient, kernel: PooledKernel) -> NotebookNode:
    """`client.async_execute()` without its kernel_info request (the pool asked the
    kernel for its language_info when it started, and a round trip to the kernel is
    a real part of a short run) and without `async_setup_kernel`, which only starts
    what the pool started and installs process signal handlers, which a thread other
    than the main one cannot (its attempt and their removal cost each run)."""
    language_info = kernel.info.get("language_info")
    if language_info is None:
        return await client.async_execute()
    client.reset_execution_trackers()
    client.nb.metadata["language_info"] = language_info
    for index, cell in enumerate(client.nb.cells):
        await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
    client.set_widgets_metadata()
    return client.nb


async def execute_notebook(
    nb: NotebookNode,
    kernel: PooledKernel,
    *,
    metrics: list[str],
    timeout: float | None,
) -> ExecutionResult:
    """Execute `nb` (parameters already injected) in `kernel`; never raises for run failures."""
    client = NotebookClient(
        nb,
        km=kernel.km,
        timeout=None,
        kernel_name=kernel.kernel_name,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": kernel.cwd}},
    )
    client.kc = kernel.kc
    started = time.time()
    status, error = "ok", None
    values: dict[str, Any] = {}
    missing: list[str] = []
    # nbclient turns any cancellation into DeadKernelError, so a timeout is detected
    # here (asyncio.wait does not cancel) rather than through asyncio.wait_for.
    running = asyncio.ensure_future(_execute_cells(client, kernel))
    try:
        done, _ = await asyncio.wait({running}, timeout=timeout)
    except asyncio.CancelledError:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        raise
    if not done:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        status, error = "timeout", f"The run did not finish within {timeout:g} s."
    else:
        failure = running.exception()
        if isinstance(failure, CellExecutionError):
            status, error = "failed", _cell_error(failure)
        elif isinstance(failure, DeadKernelError):
            status, error = "kernel_died", f"The kernel died during the run: {failure}"
        elif failure is not None:
            raise failure
    if status == "ok":
        try:
            values, missing = await read_variables(kernel.kc, metrics)
        except TimeoutError:
            status, error = "kernel_died", "The kernel stopped answering after the last cell."
        if not await kernel.km.is_alive():
            status, error = "kernel_died", "The kernel died during the run."
    glued = glued_values(nb)
    values.update(glued)
    missing = [name for name in missing if name not in glued]
    return ExecutionResult(
        status=status,
        started=started,
        ended=time.time(),
        metrics=values,
        missing_metrics=missing,
        error=error,
        notebook=nb,
    )


# nbformat's reads() and writes() also check the notebook against its schema, which
# only logs; the coordinator checked the notebook when it read it, and the check cost
# each run more than the rest of reading and writing it.
def notebook_from_text(text: str) -> NotebookNode:
    """A notebook in the text the coordinator wrote (nbformat 4)."""
    return nbformat.v4.reads(text)  # type: ignore[no-any-return]


def notebook_to_text(nb: NotebookNode) -> str:
    """`nbformat.writes(nb)`, byte for byte, without the schema check."""
    return nbformat.v4.writes(nb)  # type: ignore[no-any-return]
