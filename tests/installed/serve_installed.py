"""Serve the product as installed, for the browser tier (ui-tests/playwright.installed.config.js).

`serve` builds the wheel, installs it with JupyterLab into a fresh venv, then becomes
`jupyter lab` from that venv with a HOME of its own and no config at all. Everything
lives in one folder emptied at each start: Playwright kills this server rather than
stopping it, so no clean-up at exit would run. `cli` runs `jupyter env-manager` from
that venv as the same user, as in another terminal.

    python tests/installed/serve_installed.py serve --port 18139 --token TOKEN
    python tests/installed/serve_installed.py cli create -n NAME --engine uv ipykernel
    python tests/installed/serve_installed.py --folder F serve --venv V --port P --token T \
        --kernel-spec-manager jupyter_client.kernelspec.KernelSpecManager
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.installed.wheel_venv import REPO, lab_argv, user_environ, wheel_venv  # noqa: E402

DEFAULT_FOLDER = Path(tempfile.gettempdir()) / f"jem-installed-{os.getuid()}"


def serve(args: argparse.Namespace) -> None:
    folder = args.folder
    shutil.rmtree(folder, ignore_errors=True)
    venv = args.venv or wheel_venv(folder, args.source)
    home, work = folder / "home", folder / "work"
    home.mkdir(parents=True)
    work.mkdir()
    if args.kernel_spec_manager:
        # Where a user (or a JupyterHub image) names its own kernel spec manager.
        config = home / ".jupyter" / "jupyter_server_config.json"
        config.parent.mkdir()
        config.write_text(
            json.dumps({"ServerApp": {"kernel_spec_manager_class": args.kernel_spec_manager}})
        )
    os.chdir(work)
    argv = lab_argv(venv, args.port, args.token)
    print(f"serving {venv} from {work} with HOME={home}", flush=True)
    # Become the server (an argument list, no shell): Playwright's kill then reaches it.
    os.execve(argv[0], argv, user_environ(home, venv))  # noqa: S606


def cli(folder: Path, args: list[str]) -> int:
    venv, home = folder / "venv", folder / "home"
    if not (venv / "bin" / "jupyter").exists():
        print(f"No installed venv in {folder}: start `serve` first.", file=sys.stderr)
        return 2
    argv = [str(venv / "bin" / "jupyter"), "env-manager", *args]
    return subprocess.run(argv, env=user_environ(home, venv), cwd=folder / "work").returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="Install and serve.")
    serving.add_argument("--port", type=int, default=18139)
    serving.add_argument("--token", required=True)
    serving.add_argument(
        "--source", type=Path, default=REPO, help="Source tree to build (e.g. an old commit's)."
    )
    serving.add_argument("--venv", type=Path, help="Serve this installed venv; build none.")
    serving.add_argument(
        "--kernel-spec-manager", help="Put this class in the user's config, as a user would."
    )
    running = commands.add_parser("cli", help="Run `jupyter env-manager ARGS` as the user.")
    running.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
    return cli(args.folder, args.args)


if __name__ == "__main__":
    sys.exit(main())
