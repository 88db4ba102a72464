"""One line saying which channel failed and why, from rattler's error chains.

Used for reading channel indexes (`channel_error`) and for downloading packages
while installing (`install_error`).

rattler's errors are Rust error chains, one "Caused by:" line per layer, and it
exposes only that text: the reason is read from it (network_errors); anything not
recognised still ends up on one line, with every layer kept.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

from ..errors import ChannelNotFound, ChannelUnreachable, EngineFailure, EnvManagerError
from ..network_errors import HTTP_STATUS_RE, failed_url, layers, network_reason

try:  # rattler may be missing; RattlerEngine.is_available() reports it, imports must not fail.
    from rattler import Channel
except ImportError:  # pragma: no cover - exercised only where rattler is missing
    pass


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


def channel_error(error: BaseException, channels: Sequence[str]) -> EnvManagerError:
    """The user-facing error for a failure reading `channels`' indexes, on one line."""
    text = str(error)
    url = failed_url(text)
    channel = _failed_channel(url, channels)
    status = HTTP_STATUS_RE.search(text)
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
    reason = network_reason(text, url)
    if reason:
        return ChannelUnreachable(f"Channel {channel} could not be reached: {reason}.")
    return EngineFailure(f"Could not read the channel {channel}: {'; '.join(layers(text))}.")


def install_error(error: BaseException, doing: str) -> EnvManagerError:
    """The user-facing error for a failed install step (`doing`, e.g. "Installing into
    /p"), on one line; a package that could not be downloaded is named with its host."""
    text = str(error)
    url = failed_url(text)
    if url:
        base, _, filename = url.rpartition("/")
        channel = base.rsplit("/", 1)[0]
        status = HTTP_STATUS_RE.search(text)
        if status:
            return ChannelUnreachable(
                f"{doing} failed: {channel} answered HTTP {status.group('code')} for {filename}, "
                "which its index lists."
            )
        reason = network_reason(text, url)
        if reason:
            return ChannelUnreachable(
                f"{doing} failed: {filename} could not be downloaded from {channel}: {reason}."
            )
    return EngineFailure(f"{doing} failed: {'; '.join(layers(text))}.")
