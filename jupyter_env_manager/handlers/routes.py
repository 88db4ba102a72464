"""The extension's URL table, relative to the server's base_url."""

from __future__ import annotations

from .info import InfoHandler

API_PREFIX = "/env-manager/api"


def api_routes() -> list[tuple[str, type]]:
    return [
        (rf"{API_PREFIX}/info", InfoHandler),
    ]
