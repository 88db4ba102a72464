"""Pure parsers for what conda, mamba and micromamba print: text in, models or errors out.

They are tested on outputs recorded from the real tools (tests/conda_cli/recordings).
The three tools agree on most JSON shapes but not all: micromamba's `info --json`
uses human-readable keys ("base environment", "envs directories"), conda 4.3
printed `actions` as a list, mamba 1 printed solver failures as plain text even
with `--json`, conda prints NUL-separated download progress records before the
result when it fetches, and mamba 2.0.1 printed YAML for `env export --json`
(mamba-org/mamba#3492).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import (
    ChannelNotFound,
    ChannelUnreachable,
    EngineFailure,
    EnvironmentNotFound,
    EnvManagerError,
    InvalidRequest,
    PackagesNotFound,
    Unsatisfiable,
)
from ..models import ChangeAction, ChangePlan, Package, PackageChange
from ..site_packages import normalize_name
from ..versions import conda_newer, conda_sort_key

# conda --json prints `{"fetch": ..., "progress": ...}` records while downloading.
_PROGRESS_KEYS = {"fetch", "progress"}


def _documents(text: str):
    """Every top-level JSON document in a tool's output, skipping noise between them."""
    cleaned = text.replace("\0", "\n")
    decoder = json.JSONDecoder()
    offset = 0
    for line in cleaned.splitlines(keepends=True):
        stripped = line.lstrip()
        start = offset + (len(line) - len(stripped))
        offset += len(line)
        if stripped[:1] not in ("{", "["):
            continue
        try:
            value, end = decoder.raw_decode(cleaned, start)
        except json.JSONDecodeError:
            continue
        yield value


def extract_json(text: str) -> Any:
    """The tool's answer: the first JSON document that is not a progress record.

    Tools print progress bars, `DryRunExit: ...` lines and NUL-separated progress
    records around the document we want, so we decode from each line that opens
    an object or array rather than from the first character.
    """
    for value in _documents(text):
        if isinstance(value, dict) and _PROGRESS_KEYS <= set(value):
            continue
        return value
    raise ValueError("no JSON document in the output")


@dataclass(frozen=True)
class CondaInfo:
    """What `info --json` tells, in one shape for conda and micromamba."""

    root_prefix: Path | None
    envs: tuple[Path, ...] = ()
    envs_dirs: tuple[Path, ...] = ()
    version: str | None = None
    platform: str | None = None
    channels: tuple[str, ...] = field(default_factory=tuple)
    solver: str | None = None


def _paths(value: object) -> tuple[Path, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(Path(item) for item in value if isinstance(item, str) and item)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_info(text: str) -> CondaInfo:
    """Parse `conda info --json`, `conda env list --json` or `micromamba info --json`."""
    data = _json_object(text, "info")
    root = data.get("root_prefix") or data.get("base environment")
    version = (
        data.get("conda_version")
        or data.get("micromamba version")
        or data.get("mamba version")
        or data.get("libmamba version")
    )
    solver = data.get("solver")
    return CondaInfo(
        root_prefix=Path(root) if isinstance(root, str) and root else None,
        envs=_paths(data.get("envs")),
        envs_dirs=_paths(data.get("envs_dirs") or data.get("envs directories")),
        version=_str(version),
        platform=_str(data.get("platform")),
        channels=_strings(data.get("channels")),
        # conda 26 prints {"name": "classic", ...}; older ones the name alone.
        solver=_str(solver.get("name") if isinstance(solver, dict) else solver),
    )


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = extract_json(text)
    except ValueError:
        raise EngineFailure(
            f"The conda tool printed no JSON for {what}: {one_line(text)}"
        ) from None
    if not isinstance(data, dict):
        raise EngineFailure(f"Unexpected JSON from the conda tool for {what}.")
    return data


def one_line(text: str, limit: int = 300) -> str:
    """Text squeezed onto one line, cut at `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _package_from_record(record: dict[str, Any]) -> Package | None:
    name, version = record.get("name"), record.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    channel = record.get("channel")
    build = record.get("build_string") or record.get("build")
    # conda reports pip-installed packages in `list --json` with channel "pypi".
    source = "pypi" if channel == "pypi" else "conda"
    return Package(
        name=normalize_name(name) if source == "pypi" else name,
        version=version,
        source=source,
        build=build if isinstance(build, str) else None,
        channel=channel if isinstance(channel, str) else None,
        url=_str(record.get("url")),
        sha256=_str(record.get("sha256")),
    )


def parse_list(text: str) -> list[Package]:
    """Parse `list --json`: one record per installed package, sorted by name."""
    try:
        data = extract_json(text)
    except ValueError:
        raise EngineFailure(f"The conda tool printed no package list: {one_line(text)}") from None
    if not isinstance(data, list):
        raise EngineFailure("Unexpected JSON from the conda tool for the package list.")
    packages = [p for p in (_package_from_record(r) for r in data if isinstance(r, dict)) if p]
    return sorted(packages, key=lambda p: (p.name.lower(), p.source))


def parse_search(text: str) -> list[Package]:
    """Parse `search --json`: `{name: [record, ...]}`, one Package per record."""
    data = _json_object(text, "search")
    found: list[Package] = []
    for records in data.values():
        if not isinstance(records, list):
            continue
        found.extend(
            p for p in (_package_from_record(r) for r in records if isinstance(r, dict)) if p
        )
    return sorted(found, key=lambda p: (p.name.lower(), conda_sort_key(p.version)))


_DIST_RE = re.compile(
    r"^(?:(?P<channel>[^:]+)::)?(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-\s]+)"
)


def _transaction_entry(entry: object) -> tuple[str, str | None] | None:
    """(name, version) of a LINK/UNLINK entry: a record, or conda 4.2's `ch::dist` string."""
    if isinstance(entry, dict):
        name = entry.get("name")
        version = entry.get("version")
        if isinstance(name, str):
            return name, version if isinstance(version, str) else None
        return None
    if isinstance(entry, str):
        match = _DIST_RE.match(entry)
        if match:
            return match.group("name"), match.group("version")
    return None


def has_actions(stdout: str) -> bool:
    try:
        data = extract_json(stdout)
    except ValueError:
        return False
    return isinstance(data, dict) and "actions" in data


def parse_transaction(text: str, *, dry_run: bool) -> ChangePlan:
    """Turn the `actions` of create/install/update/remove `--json` into a ChangePlan.

    A package both unlinked and linked is an update, a downgrade or a reinstall,
    decided by comparing versions. conda answers a transaction with nothing to do
    by `{"success": true, "message": "All requested packages already installed."}`.
    """
    data = _json_object(text, "the transaction")
    actions = data.get("actions", {})
    # conda 4.3 printed a list of per-prefix action dicts; later versions one dict.
    groups = actions if isinstance(actions, list) else [actions]
    linked: dict[str, str | None] = {}
    unlinked: dict[str, str | None] = {}
    for group in groups:
        if not isinstance(group, dict):
            continue
        for key, target in (("LINK", linked), ("UNLINK", unlinked)):
            for entry in group.get(key) or []:
                parsed = _transaction_entry(entry)
                if parsed:
                    target[parsed[0]] = parsed[1]
    changes: list[PackageChange] = []
    for name in sorted(set(linked) | set(unlinked), key=str.lower):
        old, new = unlinked.get(name), linked.get(name)
        action: ChangeAction
        if name not in unlinked:
            action = "install"
        elif name not in linked:
            action = "remove"
        elif old == new or old is None or new is None:
            action = "reinstall"
        elif conda_newer(new, old):
            action = "update"
        else:
            action = "downgrade"
        changes.append(
            PackageChange(
                name=name,
                action=action,
                source="conda",
                old_version=old if name in unlinked else None,
                new_version=new if name in linked else None,
            )
        )
    return ChangePlan(changes=tuple(changes), dry_run=dry_run)


# exception_name (conda) / error_type (conda 3) → what the user did wrong.
_NOT_FOUND_ERRORS = {
    "PackagesNotFoundError",
    "PackagesNotFoundInChannelsError",
    "PackageNotFoundError",
    "ResolvePackageNotFound",
}
_UNSAT_ERRORS = {
    "UnsatisfiableError",
    "UnsatisfiableSpecifications",
    "SpecsConfigurationConflictError",
    "LibMambaUnsatisfiableError",
}
_NO_ENV_ERRORS = {
    "EnvironmentLocationNotFound",
    "EnvironmentNameNotFound",
    "DirectoryNotACondaEnvironmentError",
}
_BAD_INPUT_ERRORS = {
    "CondaValueError",
    "InvalidMatchSpec",
    "InvalidSpec",
    "InvalidVersionSpec",
    "CondaEnvException",
    "SpecNotFound",
    "PackagesNotFoundInPrefixError",
}
_NOTHING_PROVIDES_RE = re.compile(r"nothing provides requested (\S+)")
_TRACEBACK_LAST_RE = re.compile(r"^conda(?:\.\w+)*\.(\w+): (.*)$", re.MULTILINE)
_SUBDIR_RE = re.compile(r"/(?:noarch|(?:linux|osx|win|emscripten|wasi|zos)-[A-Za-z0-9_]+)/?$")


def _first_line(data: dict[str, Any]) -> str:
    """conda's message on one line: its first line, unless that only introduces a list."""
    for key in ("message", "error"):
        value = data.get(key)
        if not isinstance(value, str) or value.strip() in ("", "..."):
            continue
        first = value.strip().splitlines()[0].strip()
        return first if not first.endswith(":") else one_line(value)
    return ""


def _channel_list(data: dict[str, Any]) -> str:
    """The channels conda searched, without their `/<subdir>` suffix, comma-separated."""
    urls = _strings(data.get("channel_urls"))
    channels: list[str] = []
    for url in urls:
        base = _SUBDIR_RE.sub("", url)
        if base not in channels:
            channels.append(base)
    return ", ".join(channels)


def _conflicts(data: dict[str, Any]) -> str:
    """conda's `unsatisfiable` chains (`[["beta", "alpha<2"], ["alpha>=2"]]`) as one line."""
    chains = data.get("unsatisfiable")
    if not isinstance(chains, list):
        return ""
    rendered = [
        " -> ".join(str(step) for step in chain)
        for chain in chains
        if isinstance(chain, list) and chain
    ]
    return " conflicts with ".join(rendered)


def error_from_output(tool: str, returncode: int, stdout: str, stderr: str) -> EnvManagerError:
    """The user-facing error for a failed command, on one line; conda's full text is kept
    in `details["output"]`."""
    try:
        data = extract_json(stdout)
    except ValueError:
        data = None
    if isinstance(data, dict) and ("exception_name" in data or "error_type" in data):
        return _error_from_json(tool, data)
    # mamba 1 ignored --json for solver failures and printed text instead.
    text = "\n".join(part for part in (stdout, stderr) if part.strip())
    missing = _NOTHING_PROVIDES_RE.findall(text)
    if missing:
        return PackagesNotFound(missing, where=f"the channels {tool} uses")
    if "Encountered problems while solving" in text or "Could not solve for environment" in text:
        return Unsatisfiable(
            f"{tool} could not solve the request: {one_line(text)}",
            details={"tool": tool, "output": text[-4000:]},
        )
    raised = _TRACEBACK_LAST_RE.findall(text)
    if raised:
        # conda run with -vv prints its exception as a traceback, not as JSON.
        kind, message = raised[-1]
        return EngineFailure(
            f"{tool} failed: {one_line(message) or kind}",
            details={"tool": tool, "returncode": returncode, "output": text[-4000:]},
        )
    return EngineFailure(
        f"{tool} exited with code {returncode}: {one_line(text) or 'no output'}",
        details={"tool": tool, "returncode": returncode},
    )


def _error_from_json(tool: str, data: dict[str, Any]) -> EnvManagerError:
    kind = str(data.get("exception_name") or data.get("error_type"))
    first = _first_line(data) or f"{tool} failed with {kind}"
    details = {"tool": tool, "exception": kind, "output": str(data.get("message") or "")}
    if kind in _NOT_FOUND_ERRORS:
        names = [p for p in data.get("packages") or [] if isinstance(p, str)]
        if names:
            where = _channel_list(data) or f"the channels {tool} uses"
            return PackagesNotFound(names, where=where)
        return Unsatisfiable(one_line(first), details=details)
    if kind in _UNSAT_ERRORS:
        conflicts = _conflicts(data)
        guidance = data.get("guidance")
        summary = guidance.get("summary") if isinstance(guidance, dict) else None
        if conflicts:
            message = f"These packages cannot be installed together: {conflicts}."
        elif isinstance(summary, str) and first.rstrip(":") in ("", kind):
            # conda 26 leaves the message empty when the classic solver finds no chain.
            message = f"{tool}: {summary}"
        else:
            message = f"{tool} could not satisfy the request: {one_line(first)}"
        return Unsatisfiable(one_line(message, 600), details=details)
    if kind == "UnavailableInvalidChannel":
        channel = data.get("channel_url") or data.get("channel_name") or "?"
        return InvalidRequest(
            f"Channel {channel} is not available: it has no noarch/repodata.json "
            f"({data.get('reason') or 'unavailable'}). Check the channel name or URL.",
            details=details,
        )
    if kind == "CondaHTTPError":
        url = _SUBDIR_RE.sub("", str(data.get("url") or "").rsplit("/", 1)[0]) or "a channel"
        reason = data.get("reason") or "HTTP error"
        status = data.get("status_code")
        # A server that answered "no such channel" is the request's fault; one that did
        # not answer is a 502, as for the other engines.
        failure = ChannelNotFound if str(status) == "404" else ChannelUnreachable
        return failure(
            f"Could not reach channel {url}: {reason} (HTTP {status}).", details=details
        )
    if kind in _NO_ENV_ERRORS:
        return EnvironmentNotFound(one_line(first), details=details)
    if kind in _BAD_INPUT_ERRORS:
        return InvalidRequest(one_line(first), details=details)
    return EngineFailure(f"{tool} failed: {one_line(first)}", details=details)


def _export_document(text: str) -> dict[str, Any]:
    """`env export --json`'s document; mamba 2.0.1 printed YAML there instead of JSON
    (mamba-org/mamba#3492), so YAML is accepted too."""
    try:
        data = extract_json(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
    if not isinstance(data, dict):
        raise EngineFailure(f"The conda tool printed no environment export: {one_line(text)}")
    return data


_BUILD_PIN_RE = re.compile(r"^(?P<head>[^=\s]+=[^=\s]+)=[^=\s]+$")


def strip_build(spec: str) -> str:
    """`name=version=build` → `name=version`; anything else is returned unchanged."""
    match = _BUILD_PIN_RE.match(spec)
    return match.group("head") if match else spec


def export_to_yaml(
    text: str, *, drop_prefix: bool = True, no_builds: bool = False, name: str | None = None
) -> str:
    """An `env export --json` document as environment.yml text.

    The `prefix:` line names a path on this machine and is useless (or misleading)
    elsewhere, so it is dropped unless asked for. `no_builds` strips build strings
    ourselves, because mamba 2.0.1 refused `--no-builds` (mamba-org/mamba#3492).
    """
    data = _export_document(text)
    ordered: dict[str, Any] = {"name": None}
    for key in ("name", "channels", "dependencies"):
        if key in data:
            ordered[key] = data[key] if data[key] is not None else []
    ordered.setdefault("channels", [])
    ordered.setdefault("dependencies", [])
    if no_builds:
        ordered["dependencies"] = [
            strip_build(item) if isinstance(item, str) else item for item in ordered["dependencies"]
        ]
    for key, value in data.items():
        if key not in ordered and not (drop_prefix and key == "prefix"):
            ordered[key] = value
    exported_name = ordered.get("name")
    # conda names an env exported by path after that path (older ones wrote null):
    # the name we know travels better.
    if exported_name is None or re.search(r"[/\\]", str(exported_name)):
        if name:
            ordered["name"] = name
        else:
            ordered.pop("name", None)
    return yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False)
