"""`jupyter env-manager history|rollback|disk|clean` as a user types them: a venv
installed into then rolled back (identical freeze), disk use, and a clean that
asks first, refuses without a terminal, and removes only what no env uses."""

from __future__ import annotations

import subprocess
from pathlib import Path

from jupyter_env_manager.core.info import uv_binary
from tests.cli_user import CliUser


def freeze(prefix: Path) -> str:
    done = subprocess.run(
        [uv_binary(), "pip", "freeze", "--python", str(prefix / "bin" / "python")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_cli_history_rollback_disk_and_clean(tmp_path: Path, local_channel: str, wheelhouse):
    user = CliUser(
        tmp_path,
        {"channels": [local_channel], "offline": True, "find_links": [str(wheelhouse)],
         "default_engine": "rattler"},
    )  # fmt: skip
    user("create", "-n", "cv", "--engine", "uv", "tiny-pkg==1.2", check=True)
    prefix = user.prefix("cv")
    frozen = freeze(prefix)
    user("install", "-n", "cv", "tiny-pkg==1.3", "-y", check=True)

    shown = user("history", "-n", "cv")
    assert shown.returncode == 0
    assert "rev 1" in shown.stdout and "install tiny-pkg==1.3" in shown.stdout
    assert "update     tiny-pkg" in shown.stdout

    preview = user("rollback", "-n", "cv", "--revision", "0", "--dry-run")
    assert preview.returncode == 0 and "downgrade" in preview.stdout
    assert "tiny-pkg==1.3" in freeze(prefix)
    refused = user("rollback", "-n", "cv", "--revision", "0")  # no terminal, no -y
    assert refused.returncode == 1 and "pass -y" in refused.stderr
    bad = user("rollback", "-n", "cv", "--revision", "9", "-y")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "error: No revision 9: this environment has revisions 0 to 1."
    ]
    assert user("rollback", "-n", "cv", "--revision", "x").returncode == 2
    user("rollback", "-n", "cv", "--revision", "0", "-y", check=True)
    assert freeze(prefix) == frozen

    # A conda env keeps gamma 2.0; a removed one leaves gamma 1.0 unused in the cache.
    user("create", "-n", "kept", "gamma", check=True)
    user("create", "-n", "dropped", "gamma=1.0", check=True)
    user("remove", "-n", "dropped", "-y", check=True)
    report = user.json("disk")
    assert {"cv", "kept"} <= {e["name"] for e in report["environments"]}
    rattler = next(c for c in report["caches"] if c["kind"] == "rattler")
    assert rattler["reclaimable_bytes"] > 0

    pkgs = tmp_path / "cache" / "pkgs"
    before = sorted(p.name for p in pkgs.iterdir())
    dry = user("clean", "--dry-run")
    assert dry.returncode == 0 and "gamma-1.0-" in dry.stdout and "gamma-2.0-" not in dry.stdout
    refused = user("clean")
    assert refused.returncode == 1 and "pass -y" in refused.stderr
    assert sorted(p.name for p in pkgs.iterdir()) == before
    done = user("clean", "-y")
    assert done.returncode == 0 and "Freed" in done.stdout
    left = {p.name.rsplit("-", 2)[0] + "-" + p.name.rsplit("-", 2)[1] for p in pkgs.iterdir()
            if p.is_dir()}  # fmt: skip
    assert left == {"gamma-2.0"}
    assert (user.prefix("kept") / "share" / "gamma" / "VERSION").read_text() == "gamma 2.0\n"
