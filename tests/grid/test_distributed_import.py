"""The CLI's coordinator imports distributed without numpy or jinja2, and loses nothing by it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, sys, yaml
pure = yaml.safe_load
from jupyter_env_manager.grid.distributed_import import import_distributed
from jupyter_env_manager.grid.warm_cluster import close_cluster, start_local_cluster

async def doubled(processes):
    import numpy as np
    client, cluster = await start_local_cluster(1, processes)
    try:
        result = await client.submit(lambda a: a * 2, np.arange(200_000))
        return int(result.sum()), str(result.dtype)
    finally:
        await close_cluster(client, cluster, pools=False)

if __name__ == "__main__":
    import_distributed(lean=True)
    config = sys.modules["distributed.config"]
    print("numpy" in sys.modules, "jinja2" in sys.modules, yaml.safe_load is pure)
    import jinja2
    with open(config.fn) as defaults:
        print(config.defaults == pure(defaults))
    for processes in (False, True):
        print(*asyncio.run(doubled(processes)))
"""


def test_numpy_is_left_out_of_the_import_and_arrays_still_travel(tmp_path: Path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    expected = str(sum(range(200_000)) * 2)
    assert done.stdout.split("\n")[:4] == [
        "False False True",  # numpy, jinja2 not imported (and importable after); PyYAML's
        # safe_load given back
        "True",  # distributed's YAML defaults as the pure loader reads them
        f"{expected} int64",  # an array to and from an in-process worker
        f"{expected} int64",  # and a worker process
    ]


def fresh_python(*lines: str) -> str:
    """What a new interpreter prints after importing `import_distributed` and running lines."""
    code = "\n".join(
        ["from jupyter_env_manager.grid.distributed_import import import_distributed", *lines]
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_server_or_notebook_imports_distributed_as_it_comes():
    # Other threads of such a process could import numpy while it is hidden.
    printed = fresh_python("import sys", "import_distributed()", "print('numpy' in sys.modules)")
    assert printed == "True"


def test_the_lean_import_freezes_what_exists_and_turns_the_collector_back_on():
    # The CLI pauses the collector from its start; its runs must not go without one.
    printed = fresh_python(
        "import gc",
        "gc.disable()",
        "import_distributed(lean=True)",
        "from distributed import Client",
        "submit = Client.__dict__['submit']",
        "listed = any(o is submit for o in gc.get_objects())",
        "print(gc.isenabled(), gc.get_freeze_count() > 50_000, listed)",
    )
    # On, tens of thousands frozen, distributed's among them (collections skip them).
    assert printed == "True True False"
