"""`jupyter env-manager pin|status|reproduce NOTEBOOK`: the environment travels with
the notebook."""

from __future__ import annotations

import argparse
from pathlib import Path

from .config import make_manager
from .envs import _emit, _run
from .kernel import _spec_manager


def cmd_pin(args: argparse.Namespace) -> int:
    from ..notebooks.environments import pin_notebook

    path = Path(args.notebook)
    pin, changed = _run(args, lambda m, _p: pin_notebook(m, _spec_manager(), path, args.env))
    said = "Pinned" if changed else "Already pinned:"
    _emit(args, {"pin": pin.to_json(), "changed": changed},
          f"{said} {pin.name} ({len(pin.packages)} packages, fingerprint "
          f"{pin.fingerprint[:12]}, kernel {pin.kernel or 'none'}) in {path}")  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ..notebooks.environments import status

    found = status(make_manager(), Path(args.notebook))
    lines = [f"{found.state}: {found.message}"]
    lines += [f"  + {entry}" for entry in found.added[:20]]
    lines += [f"  - {entry}" for entry in found.removed[:20]]
    _emit(args, found.to_json(), "\n".join(lines))
    # Like `git diff --exit-code`: scripts can test for a match.
    return 0 if found.state == "match" else 3


def cmd_reproduce(args: argparse.Namespace) -> int:
    from ..notebooks.environments import reproduce

    path = Path(args.notebook)
    done = _run(args, lambda m, p: reproduce(m, _spec_manager(), path, args.name, progress=p))
    how = {
        "reused": "reused (same packages)",
        "lock": "rebuilt from the pinned lock",
        "spec": "rebuilt from the pinned spec (another platform: packages may differ)",
    }
    kernel = done["kernel"] or "(none: the environment has no Jupyter kernel)"
    _emit(args, done, f"{done['environment']}: {how[done['how']]}; {path} runs kernel {kernel}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("pin", help="Record an environment in a notebook (to reproduce it).")
    p.add_argument("notebook")
    p.add_argument("--env", "-n", required=True, help="The environment to pin.")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_pin)

    p = commands.add_parser(
        "status", help="Does the environment here match the notebook's pin? (exit 3 if not)"
    )
    p.add_argument("notebook")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)

    p = commands.add_parser(
        "reproduce", help="Rebuild (or find) a notebook's pinned environment and use it."
    )
    p.add_argument("notebook")
    p.add_argument("-n", "--name", help="Name for the rebuilt environment (default: pinned).")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reproduce)
