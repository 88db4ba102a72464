"""Validation of environment names: the first line of defence against traversal."""

from __future__ import annotations

import re

from .errors import InvalidRequest

MAX_NAME_LENGTH = 64
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def validate_env_name(name: object) -> str:
    """Return `name` if it is safe to use as a directory name, else raise InvalidRequest.

    Names are restricted to what conda accepts without quoting on every
    platform; this also rules out path separators, `..`, and shell metacharacters.
    """
    if not isinstance(name, str):
        raise InvalidRequest("Environment name must be a string.")
    if not name:
        raise InvalidRequest("Environment name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"Environment name is longer than {MAX_NAME_LENGTH} characters.")
    if name in {".", ".."} or ".." in name:
        raise InvalidRequest("Environment name must not contain '..'.")
    if not _NAME_RE.fullmatch(name):
        raise InvalidRequest(
            f"Invalid environment name {name!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit."
        )
    if name == "base":
        raise InvalidRequest("'base' is reserved for conda's root environment.")
    return name
