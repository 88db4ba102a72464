"""Reading a PyPI index and a local wheelhouse directly, without uv or pip, so
search and lock hashes work the same for every venv engine.

Search uses the index's project list (PEP 503 HTML or PEP 691 JSON, cached on
disk for a day), hashes its PEP 691 JSON project pages; when a wheelhouse is set,
both use the wheel and sdist file names of its `--find-links` folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version

from ..errors import ChannelUnreachable, EngineFailure, InvalidRequest
from ..models import Package
from ..search_rank import ranked
from ..site_packages import normalize_name
from .pypi_lock import Pin, same_version

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
SEARCH_CACHE_SECONDS = 24 * 3600
MAX_INDEX_RESULTS = 100


def default_search_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jupyter-env-manager"


def _parse_project_list(body: bytes, content_type: str) -> list[str]:
    """Project names from a PEP 691 JSON or PEP 503 HTML simple index page."""
    if "json" in content_type:
        data = json.loads(body)
        return [p["name"] for p in data.get("projects", []) if isinstance(p.get("name"), str)]
    return re.findall(r"<a\b[^>]*>\s*([^<\s]+)\s*</a>", body.decode("utf-8", errors="replace"))


def _http_get(url: str, timeout: float) -> tuple[bytes, str]:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in {"http", "https", "file"}:
        raise InvalidRequest(f"Unsupported index URL {url!r}: use http(s) or file.")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read(), response.headers.get("Content-Type", "")


def _distribution_of(filename: str) -> tuple[str, str] | None:
    """(normalised name, version) of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return (normalize_name(parts[0]), parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(suffix):
            name, _, version = filename[: -len(suffix)].rpartition("-")
            return (normalize_name(name), version) if name and version else None
    return None


# --------------------------------------------------------------------------- wheelhouse


def wheelhouse_files(find_links: Sequence[str]) -> Iterator[tuple[str, str, Path]]:
    """(name, version, path) of every distribution file in the `find_links` folders."""
    for link in find_links:
        directory = Path(link.removeprefix("file://"))
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            dist = _distribution_of(path.name)
            if dist:
                yield dist[0], dist[1], path


def search_wheelhouse(find_links: Sequence[str], needle: str) -> list[Package]:
    newest: dict[str, str] = {}
    for name, version, _ in wheelhouse_files(find_links):
        if needle not in name:
            continue
        try:
            if name not in newest or Version(version) > Version(newest[name]):
                newest[name] = version
        except InvalidVersion:
            continue
    return [
        Package(name=name, version=newest[name], source="pypi", channel="wheelhouse")
        for name in ranked(needle, newest)
    ]


# --------------------------------------------------------------------------- index


async def search_index(
    needle: str, *, index_url: str | None, cache_dir: Path, timeout: float
) -> list[Package]:
    """Projects of the index whose normalised name contains `needle`, best match first.

    Results carry no version (`version == ""`): the project list has none, and
    fetching each project's page would cost a request per hit.
    """
    index = index_url or DEFAULT_INDEX_URL
    names = await _index_names(index, cache_dir, timeout)
    # PyPI lists ~900k projects: filtering them takes a good part of a second, which
    # must not stall the server's event loop.
    hits = await asyncio.to_thread(ranked, needle, names, MAX_INDEX_RESULTS)
    return [Package(name=name, version="", source="pypi", channel=index) for name in hits]


def _cache_file(cache_dir: Path, url: str) -> Path:
    return cache_dir / f"index-projects-{hashlib.sha256(url.encode()).hexdigest()[:16]}.json"


def _read_cached_names(cache: Path, url: str) -> list[str] | None:
    """The normalised names cached for `url`, if fresh."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(cache.read_text())
        if time.time() - data["fetched"] < SEARCH_CACHE_SECONDS and data["url"] == url:
            names = list(data["names"])
            # Caches written before names were stored normalised.
            return names if data.get("normalized") else [normalize_name(n) for n in names]
    return None


def _cache_names(body: bytes, content_type: str, url: str, cache: Path) -> list[str]:
    """Parse a project list and keep its normalised names on disk for a day:
    normalising them is most of a search's cost, so it is done once per fetch."""
    names = sorted({normalize_name(n) for n in _parse_project_list(body, content_type)})
    payload = {"url": url, "fetched": time.time(), "normalized": True, "names": names}
    with contextlib.suppress(OSError):  # an unwritable cache costs speed, not the search
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload))
        tmp.replace(cache)
    return names


async def _index_names(url: str, cache_dir: Path, timeout: float) -> list[str]:
    cache = _cache_file(cache_dir, url)
    cached = await asyncio.to_thread(_read_cached_names, cache, url)
    if cached is not None:
        return cached
    try:
        body, content_type = await asyncio.wait_for(
            asyncio.to_thread(_http_get, url, timeout),
            timeout=timeout,
        )
    except (asyncio.TimeoutError, TimeoutError):
        raise ChannelUnreachable(
            f"The package index {url} did not answer within {timeout:g} s; "
            "try again later or configure a closer index."
        ) from None
    except urllib.error.HTTPError as error:
        raise ChannelUnreachable(
            f"The package index {url} could not be read: it answered HTTP {error.code}."
        ) from None
    except OSError as error:
        reason = getattr(error, "reason", None) or error
        raise ChannelUnreachable(
            f"The package index {url} could not be reached: {_oneline(reason)}."
        ) from None
    try:
        return await asyncio.to_thread(_cache_names, body, content_type, url, cache)
    except (ValueError, AttributeError, TypeError) as error:
        raise EngineFailure(f"The project list of {url} is not a simple index: {error}.") from None


def _oneline(reason: object) -> str:
    text = str(getattr(reason, "strerror", None) or reason)
    return " ".join(text.split()).rstrip(".")


async def index_hashes(
    index_url: str | None, pins: list[Pin], timeout: float
) -> dict[str, list[str]]:
    """sha256 of each pin's release files from the index's PEP 691 JSON project pages."""
    base = (index_url or DEFAULT_INDEX_URL).rstrip("/") + "/"
    limit = asyncio.Semaphore(8)

    async def one(pin: Pin) -> tuple[str, list[str]]:
        async with limit:
            try:
                body, content_type = await asyncio.to_thread(
                    _http_get, f"{base}{pin.name}/", timeout
                )
                files = json.loads(body).get("files", []) if "json" in content_type else []
            except (OSError, ValueError):
                return pin.name, []
        digests = []
        for entry in files:
            dist = _distribution_of(str(entry.get("filename", "")))
            digest = (entry.get("hashes") or {}).get("sha256")
            if dist and digest and pin.version and same_version(dist[1], pin.version):
                digests.append(digest)
        return pin.name, digests

    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(one(pin) for pin in pins)), timeout=timeout * 2
        )
    except asyncio.TimeoutError:
        return {}
    return {name: digests for name, digests in results if digests}
