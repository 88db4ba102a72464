"""The shipped OpenAPI document and the real routes describe the same API."""

from __future__ import annotations

import re
from importlib import resources

import yaml

from jupyter_env_manager.handlers.base import EnvManagerHandler
from jupyter_env_manager.handlers.routes import API_PREFIX, api_routes

METHODS = ("get", "post", "put", "patch", "delete")


def _document() -> dict:
    text = resources.files("jupyter_env_manager").joinpath("api/openapi.yaml").read_text()
    return yaml.safe_load(text)


def _template(pattern: str) -> str:
    path = re.sub(r"\(\?P<([^>]+)>.*?\)(?=/|$)", r"{\1}", pattern)
    return path.removeprefix(API_PREFIX)


def _implemented() -> set[tuple[str, str]]:
    routes = set()
    for pattern, handler in api_routes():
        for method in METHODS:
            implementation = getattr(handler, method, None)
            inherited = getattr(EnvManagerHandler, method, None)
            if implementation is not None and implementation is not inherited:
                routes.add((_template(pattern), method))
    return routes


def _documented() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in _document()["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_route_is_documented_and_every_documented_route_exists():
    implemented, documented = _implemented(), _documented()
    assert implemented - documented == set(), "routes missing from openapi.yaml"
    assert documented - implemented == set(), "openapi.yaml documents routes that do not exist"


def test_document_references_resolve():
    document = _document()
    schemas = document["components"]["schemas"]
    text = yaml.safe_dump(document)
    for reference in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        section, name = reference
        assert name in document["components"][section], reference
    assert {"Environment", "Task", "Error", "Package", "ChangePlan"} <= set(schemas)
