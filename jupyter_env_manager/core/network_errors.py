"""Why a download never got an answer, in words, from the error chains tools print.

rattler and uv (Rust, reqwest) print one line per layer (request, client error,
tcp connect error, dns error, the OS's message); pip prints urllib3 retry warnings.
Users need the host and the reason, not the layers: these helpers find both so each
engine can say it on one line.
"""

from __future__ import annotations

import re
import urllib.parse

URL_RE = re.compile(r"url \((?P<url>[^)\s]+)\)|Failed to fetch:? (?P<fetch>\S+)")
HTTP_STATUS_RE = re.compile(r"HTTP status (?:client|server) error \((?P<code>\d{3})[^)]*\)")
_LAYER_PREFIX_RE = re.compile(r"^\s*(?:Caused by|cause|error):\s*", re.IGNORECASE)
# (pattern in the chain, reason shown; {host} and {address} are filled in).
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"dns error|failed to lookup address|name or service not known|"
                   r"temporary failure in name resolution|nodename nor servname", re.I),
        "DNS lookup of {host} failed (no network, or a wrong host name?)",
    ),
    (
        re.compile(r"connection refused", re.I),
        "{address} refused the connection (is the server running?)",
    ),
    (re.compile(r"timed out|deadline has elapsed", re.I), "{address} did not answer in time"),
    (
        re.compile(r"network is unreachable|no route to host", re.I),
        "the network is unreachable (no network?)",
    ),
    (re.compile(r"certificate", re.I), "its TLS certificate was not accepted"),
    (
        re.compile(r"connection reset|connection closed|connection broken", re.I),
        "{address} closed the connection",
    ),
)  # fmt: skip


def layers(text: str) -> list[str]:
    """The lines of an error chain without their `Caused by:`/`cause:` labels."""
    kept = [_LAYER_PREFIX_RE.sub("", line).strip() for line in text.splitlines()]
    return [line for line in kept if line]


def failed_url(text: str) -> str | None:
    """The first URL an error chain says a request failed for."""
    found = URL_RE.search(text)
    return (found.group("url") or found.group("fetch")) if found else None


def network_reason(text: str, url: str | None) -> str | None:
    """Why a request to `url` failed, when the chain says it never got an answer."""
    parsed = urllib.parse.urlparse(url or "")
    host = parsed.hostname or "the server"
    address = f"{host}:{parsed.port}" if parsed.port else host
    for pattern, reason in _REASONS:
        if pattern.search(text):
            return reason.format(host=host, address=address)
    return None
