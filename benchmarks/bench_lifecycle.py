"""What the lifecycle features cost: read-only marks on every listing, and the disk
report cold and cached.

Generates N conda-like prefixes and N venvs (bench_list's generator), half of the
conda ones hard-linking their site-packages files to a shared "cache" folder, then
times in one run, side by side:

- listing: `discovery.list_environments` (the baseline: what listing cost before
  read-only marks) vs `EnvManager.list()` (adds the read-only check per env);
- disk: `disk.environments_usage` cold (walks every prefix) vs warm (inode maps
  cached by the package-set stamp) vs a plain walk of every prefix each time
  (the baseline: what a report costs with no cache).

Run: .venv/bin/python benchmarks/bench_lifecycle.py [--envs 200] [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_list import make_conda_prefix, make_venv  # noqa: E402

from jupyter_env_manager.core import disk  # noqa: E402
from jupyter_env_manager.core.discovery import Locations, list_environments  # noqa: E402
from jupyter_env_manager.core.manager import EnvManager  # noqa: E402


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def build(root: Path, count: int) -> None:
    cache = root / "cache"
    cache.mkdir()
    for n in range(20):
        (cache / f"shared{n}.py").write_text("y = 2\n" * 200)
    for index in range(count):
        prefix = root / "envs" / f"conda{index:04d}"
        make_conda_prefix(prefix, index)
        if index % 2 == 0:
            site = prefix / "lib" / "python3.11" / "site-packages"
            for n in range(20):
                os.link(cache / f"shared{n}.py", site / f"shared{n}.py")
        make_venv(root / "venvs" / f"venv{index:04d}", index)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", type=int, default=200, help="conda prefixes and as many venvs")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        root = Path(tmp)
        build(root, args.envs)
        locations = Locations(
            conda_envs_dirs=[root / "envs"],
            environments_txt=root / "environments.txt",
            venvs_dir=root / "venvs",
        )
        manager = EnvManager(
            envs_dirs=[str(root / "envs")], venvs_dir=str(root / "venvs"),
            locks_dir=str(root / "locks"),
        )  # fmt: skip
        manager.locations = lambda: locations  # type: ignore[method-assign]
        envs = manager.list()
        total = len(envs)

        plain = timed(lambda: list_environments(locations), args.repeat)
        marked = timed(manager.list, args.repeat)

        def cold() -> None:
            disk.environments_usage(envs, disk.InodeCache())

        cache = disk.InodeCache()
        disk.environments_usage(envs, cache)
        cold_s = timed(cold, max(3, args.repeat // 3))
        warm_s = timed(lambda: disk.environments_usage(envs, cache), args.repeat)
        walk_s = timed(lambda: [disk.walk_inodes(e.prefix) for e in envs], max(3, args.repeat // 3))
        usage, _ = disk.environments_usage(envs, cache)

    print(f"environments: {total} (half the conda ones share 20 hard-linked files)")
    print(f"{'measure':<44} {'seconds':>10} {'vs baseline':>12}")
    print(f"{'list, no read-only marks (baseline)':<44} {plain:>10.4f} {1.0:>11.2f}x")
    print(f"{'list with read-only marks':<44} {marked:>10.4f} {marked / plain:>11.2f}x")
    print(f"{'disk: walk every prefix (baseline)':<44} {walk_s:>10.4f} {1.0:>11.2f}x")
    print(f"{'disk report, cold':<44} {cold_s:>10.4f} {cold_s / walk_s:>11.2f}x")
    print(f"{'disk report, cached by package-set stamp':<44} {warm_s:>10.4f} "
          f"{warm_s / walk_s:>11.2f}x")  # fmt: skip
    print(f"honest total {usage.total_bytes} B vs naive sum {usage.sum_of_sizes_bytes} B "
          f"(shared {usage.shared_bytes} B)")  # fmt: skip


if __name__ == "__main__":
    main()
