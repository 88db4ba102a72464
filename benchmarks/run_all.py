"""Run every issue-17 benchmark and print one table: baseline, ours, ratio, goal met?

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...] [--markdown]

Each bench runs as its own process (a child of this one, one after the other, so
they do not compete for the cores) and writes its goal rows as JSON; the table is
built from those. First the machine's parallel ceiling is measured the way
bench_grid.py does it: one CPU-bound process alone, then two side by side
(median of 3); every parallel speed-up here is bounded by it. `--quick` passes
`--quick` to each bench: CI-sized runs whose figures are rough. `--markdown`
prints the table as Markdown (for the README).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_grid import parallel_capacity  # noqa: E402
from bench_rows import Row, fmt  # noqa: E402

#: (name, script, extra arguments in full mode)
BENCHES = [
    ("kernelspecs", "bench_kernelspecs.py", []),
    ("list", "bench_list.py", []),
    ("cli", "bench_cli.py", []),
    ("grid", "bench_grid.py", []),
    ("grid_server", "bench_grid_server.py", []),
    ("reproduce", "bench_reproduce.py", []),
]


def run_bench(script: str, mode: str | None, extra: list[str]) -> tuple[list[Row], float, str]:
    with tempfile.TemporaryDirectory(prefix="run-all-") as tmp:
        out = Path(tmp) / "rows.json"
        argv = [sys.executable, str(HERE / script), "--json", str(out), *extra]
        if mode:
            argv.append(mode)
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or not out.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return [], elapsed, f"{script} failed: {tail[0]}"
        rows = [Row(**row) for row in json.loads(out.read_text())]
        return rows, elapsed, done.stdout


def table(rows: list[Row], markdown: bool) -> str:
    header = ["Measured", "Baseline", "Baseline figure", "Ours", "Ratio", "Goal", "Met?"]
    lines = []
    cells = [
        [
            r.what,
            r.baseline_name,
            fmt(r.baseline, r.unit),
            fmt(r.ours, r.unit),
            f"{r.ratio:.1f}x" if r.ratio is not None else "-",
            r.goal,
            "yes" if r.met else "no",
        ]
        for r in rows
    ]
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("| " + " | ".join("---" for _ in header) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in column) for column in zip(header, *cells, strict=True)]
    for row in [header, *cells]:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized runs of every bench")
    parser.add_argument(
        "--smoke", action="store_true", help="the smallest run of each bench (figures meaningless)"
    )
    parser.add_argument("--only", nargs="*", choices=[name for name, _, _ in BENCHES])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print each bench's own output")
    args = parser.parse_args()
    mode = "--smoke" if args.smoke else "--quick" if args.quick else None
    ceiling = parallel_capacity(0.2 if args.smoke else 1.0, 1 if mode else 3)
    print(
        f"parallel ceiling: two CPU-bound processes side by side ran {ceiling:.2f}x as fast "
        "as one after the other (median; 2.00x = two free cores)"
    )
    rows: list[Row] = []
    failures = []
    for name, script, extra in BENCHES:
        if args.only and name not in args.only:
            continue
        bench_rows, elapsed, output = run_bench(script, mode, extra)
        print(f"{name}: {elapsed:.0f} s")
        if not bench_rows:
            failures.append(output)
            continue
        if args.verbose:
            print(output)
        rows += bench_rows
    print(table(rows, args.markdown))
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
