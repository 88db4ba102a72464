"""Checks on request bodies and query arguments, with messages a user can act on."""

from __future__ import annotations

import json
from typing import Any

from ..core.errors import InvalidRequest, PayloadTooLarge

#: Environment files are small; anything bigger is a mistake or an attack.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_LIST_ITEMS = 500
MAX_ITEM_CHARS = 1000
MAX_QUERY_CHARS = 200


def parse_json_object(body: bytes, allowed: set[str]) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    if not body.strip():
        raise InvalidRequest("Request body is empty; send a JSON object.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest(f"Request body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("Request body must be a JSON object.")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidRequest(
            f"Unknown field(s): {', '.join(map(str, unknown))}. "
            f"Allowed: {', '.join(sorted(allowed))}."
        )
    return data


def optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"'{key}' must be a string.")
    if not value.strip():
        raise InvalidRequest(f"'{key}' is empty; leave it out to use the default.")
    if len(value) > MAX_ITEM_CHARS:
        raise InvalidRequest(f"'{key}' is longer than {MAX_ITEM_CHARS} characters.")
    return value


def required_str(data: dict[str, Any], key: str) -> str:
    if data.get(key) in (None, ""):
        raise InvalidRequest(f"'{key}' is required.")
    return optional_str(data, key)  # type: ignore[return-value]


def str_list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest(f"'{key}' must be a list of strings.")
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidRequest(f"'{key}' has more than {MAX_LIST_ITEMS} items.")
    for item in value:
        if not item.strip():
            raise InvalidRequest(f"'{key}' contains an empty string.")
        if len(item) > MAX_ITEM_CHARS:
            raise InvalidRequest(f"An item of '{key}' is longer than {MAX_ITEM_CHARS} characters.")
    return [item.strip() for item in value]


def boolean(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise InvalidRequest(f"'{key}' must be true or false.")
    return value


def query_bool(value: str | None, key: str) -> bool:
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in {"1", "true", "yes"}:
        return True
    if lowered in {"0", "false", "no"}:
        return False
    raise InvalidRequest(f"Query argument '{key}' must be true or false.")
