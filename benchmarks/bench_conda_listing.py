"""Listing 20 and 100 conda environments: our REST list vs mamba-gator 6.1.1, same real conda.

Everything runs for real on this machine:

- conda 26.7.1 (shared/conda/install-conda.sh) as a Miniforge-like base, isolated HOME;
- N environments made by conda itself: `conda create -n env000 tiny` from a local channel,
  then `conda create -n envK --clone env000` (conda lists them all in `conda env list`);
- our server: `jupyter server` of the project venv with the extension, conda's `condabin` on
  PATH and `CONDA_EXE` set as `conda init` does; `GET /env-manager/api/environments`;
- gator: `mamba-gator==6.1.1` + jupyter_server from PyPI in a venv of its own, the same
  conda; `GET /conda/environments`. Gator answers that request directly (it runs
  `conda info --json` inside the request, no task id), so the request time is what a user
  waits for the list.

Both servers run side by side; the first request after start is reported on its own, then
warm medians over kept-alive connections, gator's and ours interleaved so the machine's
noise falls on both. Before timing, both lists must hold the same environments (a check of
correctness, not of time). Goal: ours >= 50x faster at 100 environments.

    .venv/bin/python benchmarks/bench_conda_listing.py [--rounds 8] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from conda_bench_support import (
    JupyterServer,
    install_conda,
    machine_note,
    make_venv,
    median_ms,
    print_table,
)

from tests.rattler.channel_builder import PackageDef, build_channel

GATOR = "mamba-gator==6.1.1"
OUR_PORTS = range(18120, 18125)
GATOR_PORTS = range(18125, 18130)
OURS_PATH = "/env-manager/api/environments"
GATOR_PATH = "/conda/environments"
COUNTS = (20, 100)
GOAL = 50.0


def make_envs(conda, channel: str, count: int) -> None:
    """Grow `<base>/envs` to `count` conda environments, each made by conda."""
    existing = sorted(p.name for p in conda.envs_dir.glob("env*"))
    if not existing:
        conda.run("create", "-y", "-q", "-n", "env000", "-c", channel,
                  "--override-channels", "--offline", "tiny")  # fmt: skip
        existing = ["env000"]
    for index in range(len(existing), count):
        conda.run("create", "-y", "-q", "-n", f"env{index:03d}", "--clone", "env000", "--offline")


def _ours(server: JupyterServer) -> tuple[float, set[str]]:
    started = time.perf_counter()
    status, body = server.get(OURS_PATH)
    elapsed = time.perf_counter() - started
    if status != 200 or not isinstance(body, list):
        raise SystemExit(f"our list answered {status}: {body!r}")
    return elapsed, {os.path.realpath(e["prefix"]) for e in body if e["kind"] == "conda"}


def _gator(server: JupyterServer) -> tuple[float, set[str]]:
    started = time.perf_counter()
    status, body = server.get(GATOR_PATH)
    elapsed = time.perf_counter() - started
    if status != 200 or not isinstance(body, dict) or "environments" not in body:
        raise SystemExit(f"gator answered {status}: {body!r}")
    return elapsed, {os.path.realpath(e["dir"]) for e in body["environments"]}


def measure(ours: JupyterServer, gator: JupyterServer, rounds: int) -> dict[str, object]:
    ours.start()
    gator.start()
    try:
        ours_first, our_envs = _ours(ours)
        gator_first, gator_envs = _gator(gator)
        ours_warm: list[float] = []
        gator_warm: list[float] = []
        for _ in range(rounds):
            gator_warm.append(_gator(gator)[0])
            ours_warm += [_ours(ours)[0] for _ in range(4)]
    finally:
        ours.stop()
        gator.stop()
    return {
        "ours_first": ours_first * 1000,
        "gator_first": gator_first * 1000,
        "ours": median_ms(ours_warm),
        "gator": median_ms(gator_warm),
        "ours_envs": our_envs,
        "gator_envs": gator_envs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="Warm gator requests per N.")
    parser.add_argument("--workdir", help="Parent folder for the temporary files.")
    parser.add_argument("--keep", action="store_true", help="Leave the temporary files.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-conda-listing-", dir=args.workdir))
    started = time.monotonic()
    note = machine_note()
    try:
        conda = install_conda(work / "conda")
        gator_python = make_venv(work / "gator-venv", [GATOR, "jupyter_server"])
        channel = build_channel(work / "channel", [PackageDef("tiny", "1.0")])
        environ = conda.environ()
        ours = JupyterServer(Path(sys.executable), work / "ours", OUR_PORTS, environ)
        gator = JupyterServer(gator_python, work / "gator", GATOR_PORTS, environ)
        results = {}
        for count in COUNTS:
            make_envs(conda, channel, count)
            results[count] = measure(ours, gator, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"Listing conda environments on conda 26.7.1 ({note}); ms, warm = median")
    print(f"of {args.rounds} gator / {4 * args.rounds} our requests, interleaved")
    rows = []
    for count, r in results.items():
        rows.append([
            count, len(r["ours_envs"]), f"{r['ours_first']:.1f}", f"{r['ours']:.1f}",
            f"{r['gator_first']:.0f}", f"{r['gator']:.0f}", f"{r['gator'] / r['ours']:.0f}x",
        ])  # fmt: skip
    print_table(
        ["envs (+base)", "listed", "ours first", "ours warm", "gator first", "gator warm",
         "gator / ours (warm)"],
        rows,
    )  # fmt: skip

    failed = False
    for count, r in results.items():
        ours_set, gator_set = r["ours_envs"], r["gator_envs"]
        if ours_set != gator_set:
            failed = True
            print(f"MISMATCH at {count} envs: ours {len(ours_set)}, gator {len(gator_set)}")
            for prefix in sorted(gator_set - ours_set)[:5]:
                print(f"  only gator: {prefix}")
            for prefix in sorted(ours_set - gator_set)[:5]:
                print(f"  only ours : {prefix}")
    if not failed:
        print("correctness: both servers list the same environments at every N")
    top = results[COUNTS[-1]]
    ratio = top["gator"] / top["ours"]
    verdict = "MET" if ratio >= GOAL else "MISSED"
    print(f"goal >= {GOAL:.0f}x at {COUNTS[-1]} envs: {ratio:.0f}x -> {verdict}")
    print(f"whole benchmark: {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
