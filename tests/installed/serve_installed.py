"""Serve the product as installed, for the browser tier (ui-tests/playwright.installed.config.js).

Builds the wheel, installs it with JupyterLab into a fresh venv, then becomes
`jupyter lab` from that venv with a HOME of its own and no config at all. Everything
lives in one folder emptied at each start: Playwright kills this server rather than
stopping it, so no clean-up at exit would run.

    python tests/installed/serve_installed.py --port 18139 --token TOKEN
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.installed.wheel_venv import lab_argv, user_environ, wheel_venv  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18139)
    parser.add_argument("--token", required=True)
    parser.add_argument(
        "--folder", type=Path, default=Path(tempfile.gettempdir()) / f"jem-installed-{os.getuid()}"
    )
    args = parser.parse_args()

    shutil.rmtree(args.folder, ignore_errors=True)
    venv = wheel_venv(args.folder)
    home, work = args.folder / "home", args.folder / "work"
    home.mkdir()
    work.mkdir()
    os.chdir(work)
    argv = lab_argv(venv, args.port, args.token)
    print(f"serving {venv} from {work} with HOME={home}", flush=True)
    # Become the server (an argument list, no shell): Playwright's kill then reaches it.
    os.execve(argv[0], argv, user_environ(home, venv))  # noqa: S606


if __name__ == "__main__":
    main()
