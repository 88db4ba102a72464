"""Server configuration for the Galata tests.

Every environment, lock, task record and conda registry the tests touch lives in
one temporary folder, never in the real home: the tests create and remove real
environments.
"""

import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (injected by the config loader)
configure_jupyter_server(c)

# The CI machine runs everything as root.
c.ServerApp.allow_root = True
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

if os.environ.get("JEM_GALATA_STATE"):
    # A folder of the caller's choosing: used as it is, never emptied.
    _state = Path(os.environ["JEM_GALATA_STATE"])
    _state.mkdir(parents=True, exist_ok=True)
else:
    # One fixed folder, emptied at each start: the test server is killed, not
    # stopped, so clean-up at exit would never run; one port allows one server.
    _port = os.environ.get("JEM_GALATA_PORT", "8888")
    _suffix = "" if _port == "8888" else f"-{_port}"
    _state = Path(tempfile.gettempdir()) / f"jem-galata-{os.getuid()}{_suffix}"
    shutil.rmtree(_state, ignore_errors=True)
    _state.mkdir(parents=True)

# "Add kernel" writes kernelspec files into JUPYTER_DATA_DIR/kernels, the user's data
# dir: that one goes into the state folder too (the server reads it when it uses it).
os.environ["JUPYTER_DATA_DIR"] = str(_state / "jupyter-data")

c.EnvManager.venvs_dir = str(_state / "venvs")
c.EnvManager.envs_dirs = [str(_state / "envs")]
c.EnvManager.locks_dir = str(_state / "locks")
c.EnvManager.rattler_cache_dir = str(_state / "rattler-cache")
# lifecycle.spec.ts: an environment users may use but not change.
c.EnvManager.protected_environments = ["jem-galata-protected"]
c.EnvManagerApp.tasks_db = str(_state / "tasks.sqlite")
# No conda channel is reachable on CI; do not try to index one at start.
c.EnvManagerApp.warm_search_index = False

c.EnvKernelSpecManager.environments_txt = str(_state / "environments.txt")
c.EnvKernelSpecManager.root_prefix = ""
# No kernel_spec_manager_class here: the extension chooses EnvKernelSpecManager
# itself when nobody configured one, and these tests check that it did.
