"""Creating an environment on a conda-forge-shaped channel: our rattler engine vs conda.

The channel (synthetic_channel.py): more than 5,000 records, every one a real package
archive indexed by rattler, dependency chains 21 deep, 4-10 versions per name, interpreter
build variants, pins and `constrains`. Solvers see every record; installers link the
~240 packages of the solution.

Three commands, each the whole process as a user types it, offline, on the same real
conda 26.7.1 base (shared/conda/install-conda.sh, isolated HOME, `condabin` on PATH):

    jupyter env-manager create -y -n X --engine rattler -c file://CHANNEL SPECS
    conda create -y -n X -c file://CHANNEL --override-channels --offline SPECS
    conda create -y -n X --solver=rattler -c file://CHANNEL --override-channels --offline SPECS

Each tool runs three rounds: caches emptied (package and repodata caches of all three),
then a cold create, then a warm create (the packages that cold run extracted are reused).
Tools alternate within a round so the machine's noise falls on all of them. Reported:
medians of the three cold and the three warm runs, the ratios, and whether the three
solutions are the same packages. Goal: ours faster than both.

`--conflicting-pins` builds the harder channel (the newest releases do not fit together,
so solvers must back off); a tool still running after `--timeout` seconds is given up on
and shown as `> timeout`. Conda's classic solver did not finish that one in 15 minutes here.

    .venv/bin/python benchmarks/bench_conda_create.py [--runs 3] [--conflicting-pins]
        [--timeout 120] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from conda_bench_support import install_conda, machine_note, median_ms, print_table, timed_run
from synthetic_channel import REQUEST, build_channel, generate

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
TOOLS = ("ours (rattler engine)", "conda classic", "conda --solver=rattler")


def commands(conda, channel: str, name: str) -> dict[str, list[str]]:
    specs = list(REQUEST)
    conda_create = [str(conda.exe), "create", "-y", "-q", "-n", name, "-c", channel,
                    "--override-channels", "--offline"]  # fmt: skip
    ours = [JUPYTER, "env-manager", "create", "-y", "-n", name, "--engine", "rattler",
            "-c", channel, *specs]  # fmt: skip
    return {
        TOOLS[0]: ours,
        TOOLS[1]: [*conda_create, *specs],
        TOOLS[2]: [*conda_create, "--solver=rattler", *specs],
    }


def installed(prefix: Path) -> frozenset[str]:
    records = (json.loads(p.read_text()) for p in (prefix / "conda-meta").glob("*.json"))
    return frozenset(f"{r['name']}={r['version']}={r['build']}" for r in records)


def empty_caches(conda) -> None:
    for folder in (conda.root / "pkgs", conda.home / ".cache", conda.home / ".conda" / "pkgs"):
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Rounds (cold + warm per tool).")
    parser.add_argument(
        "--conflicting-pins",
        action="store_true",
        help="A channel whose newest releases do not fit together (solvers must back off).",
    )
    parser.add_argument(
        "--timeout", type=float, default=120, help="Seconds before a tool is given up on."
    )
    parser.add_argument("--workdir", help="Parent folder for the temporary files.")
    parser.add_argument("--keep", action="store_true", help="Leave the temporary files.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-conda-create-", dir=args.workdir))
    started = time.monotonic()
    note = machine_note()
    samples: dict[str, dict[str, list[float]]] = {"cold": {}, "warm": {}}
    solutions: dict[str, frozenset[str]] = {}
    given_up: dict[str, str] = {}  # tool -> the phase that ran out of time
    try:
        conda = install_conda(work / "conda")
        packages = generate(conflicting=args.conflicting_pins)
        channel = build_channel(work / "channel", packages)
        env = conda.environ()
        env["XDG_CACHE_HOME"] = str(conda.home / ".cache")
        for kind in ("CONFIG", "DATA", "RUNTIME"):
            env[f"JUPYTER_{kind}_DIR"] = str(work / "jupyter" / kind.lower())
        for run in range(args.runs):
            for number, tool in enumerate(TOOLS):
                if tool in given_up:
                    continue  # one run past the timeout is enough to know
                empty_caches(conda)
                for phase in ("cold", "warm"):
                    name = f"bench-{number}-{phase}-{run}"
                    argv = commands(conda, channel, name)[tool]
                    seconds = timed_run(argv, env, timeout=args.timeout)
                    prefix = conda.envs_dir / name
                    if seconds is None:
                        shutil.rmtree(prefix, ignore_errors=True)
                        given_up[tool] = phase
                        break
                    samples[phase].setdefault(tool, []).append(seconds)
                    solutions.setdefault(tool, installed(prefix))
                    shutil.rmtree(prefix)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ours = TOOLS[0]
    medians = {
        phase: {tool: median_ms(found[tool]) / 1000 if tool in found else None for tool in TOOLS}
        for phase, found in samples.items()
    }
    names = {p.name for p in packages}
    shape = "conflicting pins" if args.conflicting_pins else "newest releases fit together"
    print(f"Creating an environment, whole process, offline ({note})")
    print(f"channel: {len(packages)} records of {len(names)} names, real archives, {shape}")
    print(f"request: {' '.join(REQUEST)}; medians of {args.runs} runs, seconds;")
    print(f"'x ours' = that tool's time / ours; '>' = gave up after {args.timeout:.0f} s")

    rows = []
    for tool in TOOLS:
        row: list[object] = [tool, len(solutions[tool]) if tool in solutions else "-"]
        ran = [tool in samples[p] or given_up.get(tool) == p for p in ("cold", "warm")]
        row += [
            _seconds(medians[p][tool], args.timeout) if r else "not run"
            for p, r in zip(("cold", "warm"), ran, strict=True)
        ]
        row += [
            _ratio(medians[p], tool, args.timeout) if r else "-"
            for p, r in zip(("cold", "warm"), ran, strict=True)
        ]
        rows.append(row)
    print_table(["tool", "packages", "cold s", "warm s", "cold x ours", "warm x ours"], rows)
    if ours in solutions and len(solutions) > 1:
        for tool, solution in solutions.items():
            if tool != ours:
                if solution == solutions[ours]:
                    print(f"solution of {tool}: the same packages as ours")
                    continue
                theirs, mine = solution - solutions[ours], solutions[ours] - solution
                print(f"solution of {tool}: differs from ours in {len(theirs)} packages")
                for a, b in zip(sorted(theirs)[:4], sorted(mine)[:4], strict=False):
                    print(f"  {tool}: {a:<28} ours: {b}")
    beaten = all(
        medians[phase][ours] is not None
        and (medians[phase][tool] is None or medians[phase][ours] < medians[phase][tool])
        for phase in ("cold", "warm")
        for tool in TOOLS[1:]
    )
    print(f"goal: ours faster than both, cold and warm -> {'MET' if beaten else 'MISSED'}")
    print(f"whole benchmark: {time.monotonic() - started:.0f} s")
    return 0


def _seconds(value: float | None, timeout: float) -> str:
    return f"> {timeout:.0f}" if value is None else f"{value:.2f}"


def _ratio(medians: dict[str, float | None], tool: str, timeout: float) -> str:
    ours, theirs = medians[TOOLS[0]], medians[tool]
    if ours is None:
        return "-"
    return f"> {timeout / ours:.0f}x" if theirs is None else f"{theirs / ours:.1f}x"


if __name__ == "__main__":
    sys.exit(main())
