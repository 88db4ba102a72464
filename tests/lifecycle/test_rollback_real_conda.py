"""Rollback of prefixes the real conda (26.7.1, ../shared/conda) made and changed, from
`jupyter env-manager` in a conda user's shell: with conda on PATH (conda's own
`install --revision` runs) and without it (rattler restores the set). Either way the
package set is the revision's, and conda's own `conda list --revisions` reads the
history we show, revision for revision."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli_user import CliUser


def conda_set(real_conda, prefix: Path) -> list[str]:
    rows = real_conda.json("list", "-p", str(prefix))
    return sorted(f"{r['name']}-{r['version']}-{r['build_string']}" for r in rows)


def conda_revisions(real_conda, prefix: Path) -> list[int]:
    text = real_conda.run("list", "--revisions", "-p", str(prefix)).stdout
    return [int(n) for n in re.findall(r"\(rev (\d+)\)", text)]


def make_conda_env(real_conda, channel: str, prefix: Path) -> list[str]:
    """create alpha=1.0, then install gamma=1.0 and update alpha: three revisions made
    by conda; returns the set at revision 0."""
    flags = ["-y", "-c", channel, "--override-channels", "--offline"]
    real_conda.run("create", "-p", str(prefix), *flags, "alpha=1.0")
    at_zero = conda_set(real_conda, prefix)
    real_conda.run("install", "-p", str(prefix), *flags, "gamma=1.0")
    real_conda.run("install", "-p", str(prefix), *flags, "alpha=2.0")
    return at_zero


@pytest.mark.parametrize("conda_on_path", [True, False], ids=["conda-engine", "rattler-engine"])
def test_rollback_of_a_conda_made_prefix_matches_conda_revision_and_history(
    real_conda, local_channel: str, tmp_path: Path, conda_on_path: bool
):
    prefix = tmp_path / "prefix-env"
    at_zero = make_conda_env(real_conda, local_channel, prefix)
    environ = real_conda.environ() if conda_on_path else None
    user = CliUser(
        tmp_path / "user",
        {"channels": [local_channel], "offline": True, "default_engine": "rattler"},
        base_environ=environ,
    )

    shown = user.json("history", "-n", str(prefix))
    assert [r["revision"] for r in shown["revisions"]] == conda_revisions(real_conda, prefix)
    assert shown["revisions"][0]["packages"] == at_zero
    assert "gamma=1.0" in shown["revisions"][1]["request"]

    before = conda_set(real_conda, prefix)
    preview = user.json("rollback", "-n", str(prefix), "--revision", "0", "--dry-run")
    assert {c["name"]: c["action"] for c in preview["changes"]} == {
        "alpha": "downgrade",
        "gamma": "remove",
    }
    assert conda_set(real_conda, prefix) == before

    done = user("rollback", "-n", str(prefix), "--revision", "0", "-y")
    assert done.returncode == 0, done.stderr
    assert conda_set(real_conda, prefix) == at_zero

    # conda reads the history, rollback included, as we do.
    after = user.json("history", "-n", str(prefix))["revisions"]
    assert [r["revision"] for r in after] == conda_revisions(real_conda, prefix) == [0, 1, 2, 3]
    assert after[-1]["packages"] == at_zero
    # And conda agrees that revision 3 is revision 0's set: rolling to 0 changes nothing.
    plan = json.loads(
        real_conda.run(
            "install",
            "-p",
            str(prefix),
            "--revision",
            "0",
            "--dry-run",
            "--json",
            "--offline",
            check=False,
        ).stdout  # fmt: skip
    )
    assert not plan.get("actions", {}).get("LINK") and not plan.get("actions", {}).get("UNLINK")
