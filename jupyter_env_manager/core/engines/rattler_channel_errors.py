"""One line saying which channel failed and why, from rattler's error chains.

Used for reading channel indexes (`channel_error`) and for downloading packages
while installing (`install_error`).

rattler's GatewayError text is a Rust error chain: the request that failed, then
one "Caused by:" line per layer (client error, tcp connect error, dns error,
the OS's message). Users need the channel and the reason, not the layers.
rattler exposes only that text, so the reason is read from it; anything not
recognised still ends up on one line, with every layer kept.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence

from ..errors import ChannelNotFound, ChannelUnreachable, EngineFailure, EnvManagerError

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    from rattler import Channel
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    pass

_URL_RE = re.compile(r"url \((?P<url>[^)\s]+)\)")
_HTTP_STATUS_RE = re.compile(r"HTTP status (?:client|server) error \((?P<code>\d{3})[^)]*\)")
_CAUSE_PREFIX_RE = re.compile(r"^\s*Caused by:\s*")
# (pattern in the chain, reason shown; {host} and {address} are filled in).
_NETWORK_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"dns error|failed to lookup address|name or service not known", re.I),
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
    (re.compile(r"connection reset|connection closed", re.I), "{address} closed the connection"),
)


def _base_url(channel: str) -> str:
    try:
        return str(Channel(channel).base_url)
    except Exception:  # rattler's own parse errors; the text is still worth showing
        return channel


def _failed_channel(url: str | None, channels: Sequence[str]) -> str:
    """How to name the channel the failed `url` belongs to: `name (url)` or `url`."""
    for channel in channels:
        base = _base_url(channel)
        if url and url.startswith(base):
            shown = base.rstrip("/")
            return shown if channel.rstrip("/") == shown else f"{channel} ({shown})"
    if url:  # strip `<subdir>/<repodata file>`
        return url.rsplit("/", 2)[0]
    return ", ".join(channels)


def _layers(text: str) -> list[str]:
    layers = [_CAUSE_PREFIX_RE.sub("", line).strip() for line in text.splitlines()]
    return [layer for layer in layers if layer]


def _network_reason(text: str, url: str | None) -> str | None:
    """Why a request to `url` failed, when the chain says it never got an answer."""
    parsed = urllib.parse.urlparse(url or "")
    host = parsed.hostname or "the channel's host"
    address = f"{host}:{parsed.port}" if parsed.port else host
    for pattern, reason in _NETWORK_REASONS:
        if pattern.search(text):
            return reason.format(host=host, address=address)
    return None


def _failed_url(text: str) -> str | None:
    found = _URL_RE.search(text)
    return found.group("url") if found else None


def channel_error(error: BaseException, channels: Sequence[str]) -> EnvManagerError:
    """The user-facing error for a failure reading `channels`' indexes, on one line."""
    text = str(error)
    url = _failed_url(text)
    channel = _failed_channel(url, channels)
    status = _HTTP_STATUS_RE.search(text)
    if status:
        code = int(status.group("code"))
        if code == 404:
            path = urllib.parse.urlparse(url or "").path.rsplit("/", 2)
            wanted = "/".join(path[-2:]) if len(path) >= 3 else "repodata.json"
            return ChannelNotFound(
                f"Channel {channel} has no {wanted} (HTTP 404): check the channel name or URL."
            )
        return ChannelUnreachable(
            f"Channel {channel} could not be read: its server answered HTTP {code}."
        )
    reason = _network_reason(text, url)
    if reason:
        return ChannelUnreachable(f"Channel {channel} could not be reached: {reason}.")
    return EngineFailure(f"Could not read the channel {channel}: {'; '.join(_layers(text))}.")


def install_error(error: BaseException, doing: str) -> EnvManagerError:
    """The user-facing error for a failed install step (`doing`, e.g. "Installing into
    /p"), on one line; a package that could not be downloaded is named with its host."""
    text = str(error)
    url = _failed_url(text)
    if url:
        base, _, filename = url.rpartition("/")
        channel = base.rsplit("/", 1)[0]
        status = _HTTP_STATUS_RE.search(text)
        if status:
            return ChannelUnreachable(
                f"{doing} failed: {channel} answered HTTP {status.group('code')} for {filename}, "
                "which its index lists."
            )
        reason = _network_reason(text, url)
        if reason:
            return ChannelUnreachable(
                f"{doing} failed: {filename} could not be downloaded from {channel}: {reason}."
            )
    return EngineFailure(f"{doing} failed: {'; '.join(_layers(text))}.")
