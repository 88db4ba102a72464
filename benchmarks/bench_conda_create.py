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

    .venv/bin/python benchmarks/bench_conda_create.py [--runs 3] [--workdir DIR] [--keep]
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
    parser.add_argument("--workdir", help="Parent folder for the temporary files.")
    parser.add_argument("--keep", action="store_true", help="Leave the temporary files.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-conda-create-", dir=args.workdir))
    started = time.monotonic()
    note = machine_note()
    cold: dict[str, list[float]] = {tool: [] for tool in TOOLS}
    warm: dict[str, list[float]] = {tool: [] for tool in TOOLS}
    solutions: dict[str, frozenset[str]] = {}
    try:
        conda = install_conda(work / "conda")
        packages = generate()
        channel = build_channel(work / "channel", packages)
        env = conda.environ()
        env["XDG_CACHE_HOME"] = str(conda.home / ".cache")
        for kind in ("CONFIG", "DATA", "RUNTIME"):
            env[f"JUPYTER_{kind}_DIR"] = str(work / "jupyter" / kind.lower())
        for run in range(args.runs):
            for number, tool in enumerate(TOOLS):
                empty_caches(conda)
                for phase, samples in (("cold", cold), ("warm", warm)):
                    name = f"bench-{number}-{phase}-{run}"
                    samples[tool].append(timed_run(commands(conda, channel, name)[tool], env))
                    prefix = conda.envs_dir / name
                    solutions.setdefault(tool, installed(prefix))
                    shutil.rmtree(prefix)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    names = {p.name for p in packages}
    print(f"Creating an environment, whole process, offline ({note})")
    print(f"channel: {len(packages)} records of {len(names)} names, real archives; request: "
          f"{' '.join(REQUEST)}")  # fmt: skip
    ours = TOOLS[0]
    rows = []
    for tool in TOOLS:
        rows.append([
            tool, len(solutions[tool]), f"{median_ms(cold[tool]) / 1000:.2f}",
            f"{median_ms(warm[tool]) / 1000:.2f}",
            f"{median_ms(cold[tool]) / median_ms(cold[ours]):.1f}x",
            f"{median_ms(warm[tool]) / median_ms(warm[ours]):.1f}x",
        ])  # fmt: skip
    print(f"medians of {args.runs} runs, seconds; 'x ours' = that tool's time / ours")
    print_table(["tool", "packages", "cold s", "warm s", "cold x ours", "warm x ours"], rows)
    same = len(set(solutions.values())) == 1
    print("solutions: " + ("identical packages for all three" if same else "DIFFER"))
    if not same:
        for tool in TOOLS[1:]:
            print(f"  only {tool}: {sorted(solutions[tool] - solutions[ours])[:5]}")
            print(f"  only ours vs {tool}: {sorted(solutions[ours] - solutions[tool])[:5]}")
    beaten = all(
        median_ms(samples[ours]) < median_ms(samples[tool])
        for samples in (cold, warm)
        for tool in TOOLS[1:]
    )
    print(f"goal: ours faster than both, cold and warm -> {'MET' if beaten else 'MISSED'}")
    print(f"whole benchmark: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
