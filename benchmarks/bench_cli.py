"""`jupyter env-manager list` as a whole process: the command users type, and the
direct `jupyter-env-manager` script it execs.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 15] [--quick] [--json F]

Side by side, alternating, medians of `--repeat` runs each (HOME is an empty
temporary folder, so listing itself is quick and startup is what is measured):

- `python -c pass`: the interpreter's own floor;
- eager: the same `list` with every subcommand module imported first (what the CLI
  did before it imported only the typed command's module);
- `jupyter-env-manager list` and `jupyter env-manager list` (through jupyter_core's
  launcher, which execs the former);
- `jupyter bench-noop`: the launcher alone, execing a script that does nothing (what
  jupyter_core costs before our process starts; no subcommand can avoid it).

Then the biggest imports of `list` by `python -X importtime`. Goal (issue 17):
`jupyter env-manager list` <= 0.12 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
EAGER = (
    "import sys; from jupyter_env_manager.cli import main as m; "
    "m = sys.modules['jupyter_env_manager.cli.main']; "
    "[m._module(n) for n in m.SUBCOMMAND_MODULES]; sys.exit(m.main(['list']))"
)


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def biggest_imports(env: dict[str, str], count: int = 8) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(BIN / "jupyter-env-manager"), "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        # Top-level modules only (no leading spaces in the name column).
        if name.startswith(" ") and not name.startswith("  "):
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 runs each")
    parser.add_argument("--json", help="write the goal rows here (for run_all.py)")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    args = parser.parse_args()
    repeat = 1 if args.smoke else 5 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as home:
        noop_dir = Path(home, "noop-bin")
        noop_dir.mkdir()
        noop = noop_dir / "jupyter-bench-noop"
        noop.write_text("#!/bin/sh\nexit 0\n")
        noop.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CONDA"))}
        env.update(HOME=home, PATH=os.pathsep.join([str(BIN), str(noop_dir), env.get("PATH", "")]))
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "eager imports, list": [sys.executable, "-c", EAGER],
            "jupyter-env-manager list": [str(BIN / "jupyter-env-manager"), "list"],
            "jupyter env-manager list": [str(BIN / "jupyter"), "env-manager", "list"],
            "jupyter bench-noop": [str(BIN / "jupyter"), "bench-noop"],
        }
        for argv in cases.values():
            timed(argv, env)  # warm the file cache
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(repeat):
            for name, argv in cases.items():
                samples[name].append(timed(argv, env))
        imports = biggest_imports(env)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"whole processes, median of {repeat} alternated runs:")
    for name, value in medians.items():
        print(f"  {name:<28} {value * 1000:7.1f} ms")
    launcher = medians["jupyter bench-noop"]
    print(
        f"jupyter_core's launcher alone: {launcher * 1000:.1f} ms "
        f"({(launcher - medians['python -c pass']) * 1000:.1f} ms over an empty Python), "
        f"{100 * launcher / medians['jupyter env-manager list']:.0f}% of `jupyter env-manager list`"
    )
    print("biggest top-level imports of `jupyter-env-manager list` (-X importtime, cumulative):")
    for micros, name in imports:
        print(f"  {micros / 1000:7.1f} ms  {name}")
    sys.path.insert(0, str(HERE))
    from bench_rows import Row, report

    typed, direct = medians["jupyter env-manager list"], medians["jupyter-env-manager list"]
    report(
        [
            Row(
                "`jupyter env-manager list`, whole process",
                "every subcommand imported",
                medians["eager imports, list"],
                typed,
                "s",
                "<= 0.12 s",
                typed <= 0.12,
            ),
            Row(
                "`jupyter-env-manager list` (the script it execs), whole process",
                "`python -c pass`",
                medians["python -c pass"],
                direct,
                "s",
                "(reported)",
                direct <= 0.12,
            ),
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
