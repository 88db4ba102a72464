"""An environment that changed after planning refuses the grid's runs, end to end.

A real venv (uv, with ipykernel) behind a plain kernelspec; the grid is planned
(recording the venv's fingerprint), then a package is installed into the venv with
uv, and the grid runs on a Dask worker process: every run is refused with both
fingerprints in its error, and the notebook never executes.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from jupyter_env_manager.grid.plan import plan_grid
from jupyter_env_manager.grid.runner import GridSearch
from tests.grid.conftest import NO_HTTP_PORT
from tests.kernels.conftest import uv


async def test_changed_environment_refuses_every_run(
    make_notebook, tmp_path: Path, wheelhouse: Path, worker_env: dict[str, str]
) -> None:
    from distributed import LocalCluster

    venv = tmp_path / "venv"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "ipykernel")
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    (kernels / "fp-venv").mkdir(parents=True)
    (kernels / "fp-venv" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                         "{connection_file}"],
                "display_name": "fingerprint venv",
                "language": "python",
            }
        )
    )  # fmt: skip
    log = tmp_path / "executions.log"
    notebook = make_notebook("x = 0", f"open({str(log)!r}, 'a').write(f'{{x}}\\n')\nvalue = x")
    plan = plan_grid(
        notebook,
        {"x": [1, 2]},
        kernel_name="fp-venv",
        metrics=["value"],
        ksm=KernelSpecManager(kernel_dirs=[str(kernels)]),
    )
    assert plan.target.prefix == str(venv)
    planned = plan.fingerprint
    assert planned

    # The environment changes between planning and running.
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
       "--no-index", "--find-links", str(wheelhouse), "tiny-pkg==1.3")  # fmt: skip

    cluster = await LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        asynchronous=True,
        dashboard_address=None,
        scheduler_kwargs=NO_HTTP_PORT,
        silence_logs=logging.ERROR,
        env={**worker_env, "JUPYTER_PATH": str(tmp_path / "share" / "jupyter")},
    )
    try:
        search = GridSearch.create(
            plan, tmp_path / "out", scheduler_address=cluster.scheduler_address
        )
        summary = await search.run()
    finally:
        await cluster.close()
    assert summary.counts["refused"] == 2
    assert summary.counts["ok"] == 0
    for run in search.store.runs(search.grid_id):
        assert run["status"] == "refused"
        assert planned[:12] in run["error"]
    assert not log.exists()  # refused before the notebook ran
