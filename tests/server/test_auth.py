"""No route of the extension answers a caller without credentials."""

from __future__ import annotations

import re

import pytest
from tornado.httpclient import HTTPClientError
from tornado.web import RequestHandler

from jupyter_env_manager.handlers.base import EnvManagerHandler

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _extension_routes(serverapp) -> list[tuple[str, type]]:
    routes = []
    for rule in serverapp.web_app.default_router.rules:
        for inner in getattr(rule.target, "rules", []):
            handler = inner.target
            if isinstance(handler, type) and issubclass(handler, EnvManagerHandler):
                routes.append((inner.matcher.regex.pattern, handler))
    return routes


def _sample_path(pattern: str) -> str:
    """A concrete URL path matching a route's regex (each group gets a value it accepts)."""

    def value_for(group: re.Match[str]) -> str:
        inner = group.group(1)
        for candidate in ("sample", "0" * 32):
            if re.fullmatch(inner, candidate):
                return candidate
        raise AssertionError(f"no sample value for {inner!r}")

    path = re.sub(r"\(\?P<[^>]+>(.*?)\)(?=/|\$)", value_for, pattern)
    path = path.rstrip("$").replace("\\", "")
    assert re.fullmatch(pattern, path), (pattern, path)
    return path


async def test_every_extension_route_refuses_requests_without_a_token(
    jp_serverapp, http_server_client
):
    routes = _extension_routes(jp_serverapp)
    assert routes, "the extension registered no routes"
    assert any(path.endswith("/env-manager/api/info$") for path, _ in routes)

    for pattern, handler in routes:
        path = _sample_path(pattern)
        for method in METHODS:
            if not hasattr(handler, method.lower()) and method != "GET":
                continue
            body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
            with pytest.raises(HTTPClientError) as refused:
                await http_server_client.fetch(
                    path,
                    method=method,
                    body=body,
                    allow_nonstandard_methods=True,
                    follow_redirects=False,
                )
            assert refused.value.code in {401, 403}, (method, path, refused.value.code)


async def test_wrong_token_is_refused(jp_fetch):
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "env-manager", "api", "info", headers={"Authorization": "token not-the-token"}
        )
    assert refused.value.code == 403


class ReadOnlyEnvManager:
    """Mixin: grants everything outside the extension, and only reads inside it."""

    allow_writes = False
    allow_reads = True

    def is_authorized(self, handler, user, action, resource):  # type: ignore[no-untyped-def]
        if resource != "env_manager":
            return True
        return self.allow_reads if action == "read" else self.allow_writes


def _authorizer(reads: bool):
    from jupyter_server.auth.authorizer import Authorizer

    return type(
        "ReadsOnly" if reads else "DeniesAll",
        (ReadOnlyEnvManager, Authorizer),
        {"allow_reads": reads},
    )


async def _answers(jp_serverapp, http_server_client, jp_auth_header):
    """(method, path, status) for every route and method of the extension."""
    seen = []
    for pattern, handler in _extension_routes(jp_serverapp):
        path = _sample_path(pattern)
        for method in METHODS:
            # Tornado's base class answers 405 for what a handler does not define.
            if getattr(handler, method.lower()) is getattr(RequestHandler, method.lower()):
                continue
            body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
            response = await http_server_client.fetch(
                path, method=method, body=body, headers=jp_auth_header,
                allow_nonstandard_methods=True, follow_redirects=False, raise_error=False,
            )  # fmt: skip
            seen.append((method, path, response.code))
    assert len(seen) >= 15, seen
    return seen


class TestReadOnlyAuthorizer:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = dict(jp_server_config)
        config["ServerApp"] = {**config["ServerApp"], "authorizer_class": _authorizer(True)}
        return config

    async def test_reads_pass_and_every_write_is_forbidden(
        self, jp_serverapp, http_server_client, jp_auth_header
    ):
        for method, path, code in await _answers(jp_serverapp, http_server_client, jp_auth_header):
            if method == "GET":
                assert code != 403, (method, path)
            else:
                assert code == 403, (method, path, code)


class TestDenyingAuthorizer:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        config = dict(jp_server_config)
        config["ServerApp"] = {**config["ServerApp"], "authorizer_class": _authorizer(False)}
        return config

    async def test_every_route_is_forbidden(self, jp_serverapp, http_server_client, jp_auth_header):
        answers = await _answers(jp_serverapp, http_server_client, jp_auth_header)
        assert {code for _method, _path, code in answers} == {403}, answers
