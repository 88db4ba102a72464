"""Record what the real conda prints, into recordings/conda-<version>_*.

    .venv/bin/python -m tests.conda_cli.record_conda

installs conda from ../shared/conda (tests/real_conda.py) into /tmp/jem-record-conda,
builds the standard local channel there (tests/rattler/channel_builder.py), runs each
command below as a user types it, and writes its stdout (or stderr, for `.stderr.txt`
files) unchanged. The folder is fixed so that the paths inside the recordings are the
same on every run; nothing is edited afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.rattler.channel_builder import build_channel
from tests.real_conda import install_real_conda

HERE = Path(__file__).parent / "recordings"
WORK = Path("/tmp/jem-record-conda")
#: Nothing listens here (a port of this project's test range).
DEAD_CHANNEL = "http://127.0.0.1:18118/chan"


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    conda = install_real_conda(WORK)
    channel = build_channel(WORK / "channel")
    env = {**conda.environ(), "CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY": "false"}
    version = subprocess.run(
        [str(conda.exe), "--version"], capture_output=True, text=True, env=env, check=True
    ).stdout.split()[-1]
    demo = str(conda.envs_dir / "demo")
    chan = ["--override-channels", "-c", channel]

    def record(name: str, *args: str, stream: str = "stdout", extra: dict | None = None) -> None:
        done = subprocess.run(
            [str(conda.exe), *args],
            capture_output=True,
            text=True,
            env={**env, **(extra or {})},
            timeout=300,
        )
        text = done.stderr if stream == "stderr" else done.stdout
        (HERE / f"conda-{version}_{name}").write_text(text)
        print(f"conda-{version}_{name}: exit {done.returncode}, {len(text)} chars")

    def run(*args: str) -> None:
        subprocess.run([str(conda.exe), *args], capture_output=True, env=env, check=True)

    record("version.txt", "--version")
    run("create", "-n", "demo", "--yes", *chan, "gamma=1.0", "alpha=1.0", "zeta")
    record("info.json", "info", "--json")
    record("env_list.json", "env", "list", "--json")
    record("list.json", "list", "-p", demo, "--json")
    record("create_dry_run.json", "create", "-p", str(WORK / "x"), "--json", "--dry-run",
           *chan, "beta")  # fmt: skip
    record("install_dry_run.json", "install", "-p", demo, "--json", "--dry-run", *chan, "delta")
    record("update_dry_run.json", "update", "-p", demo, "--json", "--dry-run", *chan, "gamma")
    record("remove_dry_run.json", "remove", "-p", demo, "--json", "--dry-run", "alpha")
    record("install.json", "install", "-p", demo, "--json", "--yes", *chan, "gamma=1.5")
    record("install_downgrade_dry_run.json", "install", "-p", demo, "--json", "--dry-run",
           *chan, "gamma=1.0")  # fmt: skip
    record("install_nothing_to_do.json", "install", "-p", demo, "--json", "--yes", *chan,
           "gamma=1.5")  # fmt: skip
    record("search.json", "search", "--json", *chan, "*amm*")
    record("search_not_found.json", "search", "--json", *chan, "*nothing-like-this*")
    record("create_unsatisfiable.json", "create", "-p", str(WORK / "x"), "--json", "--yes",
           *chan, "beta", "alpha>=2")  # fmt: skip
    record("install_packages_not_found.json", "install", "-p", demo, "--json", "--yes", *chan,
           "surely-not-a-package")  # fmt: skip
    record("install_vv_packages_not_found.stderr.txt", "install", "-p", demo, "--json", "--yes",
           "-vv", *chan, "surely-not-a-package", stream="stderr")  # fmt: skip
    record("remove_not_installed.json", "remove", "-p", demo, "--json", "--yes", "beta")
    record("create_unavailable_channel.json", "create", "-p", str(WORK / "x"), "--json",
           "--yes", "--override-channels", "-c", "file:///nonexistent", "alpha")  # fmt: skip
    record("create_connection_failed.json", "create", "-p", str(WORK / "x"), "--json", "--yes",
           "--override-channels", "-c", DEAD_CHANNEL, "alpha",
           extra={"CONDA_OFFLINE": "false", "CONDA_REMOTE_MAX_RETRIES": "0"})  # fmt: skip
    record("list_not_an_env.json", "list", "-p", str(WORK / "nowhere"), "--json")
    record("env_export.json", "env", "export", "-p", demo, "--json")
    record("env_export_no_builds.json", "env", "export", "-p", demo, "--no-builds", "--json")
    record("env_export_from_history.json", "env", "export", "-p", demo, "--from-history",
           "--json")  # fmt: skip
    record("list_explicit_md5.txt", "list", "-p", demo, "--explicit", "--md5")
    record("remove_all.json", "remove", "-p", demo, "--all", "--yes", "--json")
    return 0


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parents[2])
    sys.exit(main())
