"""How long does listing 1,000 environments take: file-system discovery vs a subprocess?

Generates 500 conda-like prefixes (conda-meta records + history, a site-packages
with a few files) and 500 venvs (pyvenv.cfg + site-packages) in a temporary
directory (`--envs N` for another count), then times:

- `list_environments(with_sizes=False)`: what every listing costs;
- `list_environments(with_sizes=True)`, first call (walks every prefix) and a
  second call (sizes cached by mtime);
- a subprocess listing in the style of `conda info --json`: start a Python child
  that imports json and prints the env list. It does no work at all, so it is a
  lower bound for what nb_conda_kernels / gator pay per listing (real `conda info
  --json` takes seconds): the cost compared is "a subprocess per listing".

Run: .venv/bin/python benchmarks/bench_list.py [--envs 1000] [--repeat 20] [--quick] [--json F]
Goal (issue 17): 1,000 envs listed (no sizes) in <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jupyter_env_manager.core.discovery import Locations, list_environments  # noqa: E402

_CHILD = "import json, sys; print(json.dumps({'envs': sys.argv[1:]}))"


def make_conda_prefix(prefix: Path, index: int) -> None:
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True)
    (meta / "history").write_text("==> 2024-01-01 00:00:00 <==\n# cmd: conda create\n")
    for name in ("python", "zlib", "openssl", "numpy", "pip"):
        (meta / f"{name}-1.0-0.json").write_text(json.dumps({"name": name, "version": "1.0"}))
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    for n in range(20):
        (site / f"module{n}.py").write_text("x = 1\n" * (index + 1))
    if index % 2:
        (site / "ipykernel").mkdir()


def make_venv(prefix: Path, index: int) -> None:
    site = prefix / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.9\n")
    for n in range(20):
        (site / f"module{n}.py").write_text("y = 2\n" * (index + 1))


def timed(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 repetitions")
    parser.add_argument("--json", help="write the goal rows here (for run_all.py)")
    parser.add_argument("--smoke", action="store_true", help="smallest run (run_all's test)")
    args = parser.parse_args()
    if args.smoke:
        args.envs, args.repeat = 50, 2
    if args.quick:
        args.repeat = 5

    with tempfile.TemporaryDirectory(prefix="bench-list-") as tmp:
        root = Path(tmp)
        half = args.envs // 2
        for i in range(half):
            make_conda_prefix(root / "conda" / "envs" / f"env{i:03d}", i)
        for i in range(args.envs - half):
            make_venv(root / "venvs" / f"venv{i:03d}", i)
        locations = Locations(
            conda_envs_dirs=[root / "conda" / "envs"],
            environments_txt=root / "environments.txt",
            venvs_dir=root / "venvs",
            root_prefix=None,
        )
        found = list_environments(locations)
        assert len(found) == args.envs, len(found)

        plain, plain_min = timed(lambda: list_environments(locations), args.repeat)
        start = time.perf_counter()
        list_environments(locations, with_sizes=True)
        sizes_cold = (time.perf_counter() - start) * 1000
        sizes_warm, _ = timed(lambda: list_environments(locations, with_sizes=True), args.repeat)
        prefixes = [str(env.prefix) for env in found]
        child, child_min = timed(
            lambda: json.loads(
                subprocess.run(
                    [sys.executable, "-c", _CHILD, *prefixes],
                    capture_output=True,
                    check=True,
                    text=True,
                ).stdout
            ),
            args.repeat,
        )

    print(f"environments: {args.envs} ({half} conda-like, {args.envs - half} venvs)")
    print(f"list_environments(with_sizes=False): {plain:8.2f} ms median ({plain_min:.2f} min)")
    print(f"list_environments(with_sizes=True) : {sizes_cold:8.2f} ms first call")
    print(f"list_environments(with_sizes=True) : {sizes_warm:8.2f} ms median, sizes cached")
    print(f"subprocess listing (python -c json): {child:8.2f} ms median ({child_min:.2f} min)")
    print(f"ratio subprocess / discovery       : {child / plain:8.1f}x")
    from bench_rows import Row, report

    report(
        [
            Row(
                f"listing {args.envs} environments (no sizes), median",
                "an empty child Python per listing",
                child,
                plain,
                "ms",
                "<= 50 ms" if args.envs == 1000 else "(goal is for 1,000)",
                plain <= 50 and args.envs == 1000,
            )
        ],
        args.json,
    )


if __name__ == "__main__":
    main()
