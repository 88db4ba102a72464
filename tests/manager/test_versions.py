"""Updates and downgrades are told apart with conda's ordering for conda packages and
PEP 440 for PyPI ones, not a hand-written guess."""

from __future__ import annotations

import pytest

from jupyter_env_manager.core.engines.conda_parsers import parse_transaction
from jupyter_env_manager.core.versions import conda_newer, pypi_newer


@pytest.mark.parametrize(
    ("new", "old"),
    [("1.0", "1.0rc1"), ("1.10", "1.9"), ("1.0.post1", "1.0"), ("2024.1", "2023.12.1"),
     ("1.0", "1.0dev0"), ("2.0.0", "2.0.0a1")],
)  # fmt: skip
def test_newer_under_both_orderings(new, old):
    assert conda_newer(new, old) and not conda_newer(old, new)
    assert pypi_newer(new, old) and not pypi_newer(old, new)


def test_a_release_after_its_candidate_is_an_update_in_a_conda_plan():
    # The shape of conda's --json transaction (see tests/conda_cli/recordings).
    plan = parse_transaction(
        '{"actions": {"LINK": [{"name": "alpha", "version": "1.0", "build_string": "h0_0"}],'
        ' "UNLINK": [{"name": "alpha", "version": "1.0rc1", "build_string": "h0_0"}]}}',
        dry_run=True,
    )
    assert [(c.name, c.action) for c in plan.changes] == [("alpha", "update")]
