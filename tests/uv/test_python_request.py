"""Which Python versions a venv's Python request accepts."""

from __future__ import annotations

import platform

import pytest

from jupyter_env_manager.core.engines.python_request import (
    own_interpreter_serves,
    version_satisfies,
)


@pytest.mark.parametrize(
    ("request_", "version", "accepted"),
    [
        ("3", "3.11.7", True),
        ("3.11", "3.11.7", True),
        ("3.11.7", "3.11.7", True),
        ("3.1", "3.11.7", False),  # a prefix of parts, not of characters
        ("3.11.7", "3.11.70", False),
        (">=3.10,<3.12", "3.11.7", True),
        (">=3.12", "3.11.7", False),
        ("/usr/bin/python3", "3.11.7", False),  # a path is not a version
        ("3.11.*", "3.11.7", False),  # conda's syntax, translated before it gets here
    ],
)
def test_a_request_accepts_the_versions_it_names(request_: str, version: str, accepted: bool):
    assert version_satisfies(request_, version) is accepted


def test_this_interpreter_serves_no_request_and_its_own_version():
    major, minor, _ = platform.python_version_tuple()
    assert own_interpreter_serves(None)
    assert own_interpreter_serves(f"{major}.{minor}")
    assert not own_interpreter_serves(f"{major}.{int(minor) + 1}")
