"""Read uploaded environment files (environment.yml, requirements.txt, locks) into an EnvSpec.

Uploads are untrusted: a file may be huge, not UTF-8, not YAML, or try to make us
read other files (`-r ../../etc/passwd`) or fetch URLs. Every such case raises
`InvalidRequest` with a message saying what to fix, and nothing is touched on disk:
these functions only read the text they are given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from .errors import InvalidRequest
from .models import EnvKind, EnvSpec

MAX_SPEC_BYTES = 1024 * 1024
SpecText = str | bytes

# A conda match spec: optional channel, a name, then an optional version/build part.
_CONDA_SPEC_RE = re.compile(
    r"^(?:(?P<channel>[A-Za-z0-9_.\-/:]+)::)?"
    r"(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
    r"(?P<rest>(?:\s*[=<>!~\[ ].*)?)$"
)
_PEP508_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Options pip accepts in a requirements file that change nothing we must police.
_HARMLESS_OPTIONS = {"--pre", "--prefer-binary", "--only-binary", "--no-binary"}
_ENV_KEYS = {"name", "channels", "dependencies", "prefix", "variables", "channel_priority"}


def _decode(content: SpecText, what: str) -> str:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_SPEC_BYTES:
        raise InvalidRequest(
            f"The {what} is {len(raw)} bytes; files over {MAX_SPEC_BYTES} bytes (1 MiB) are "
            "refused. An environment file is normally a few hundred bytes."
        )
    if isinstance(content, str):
        text = content
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequest(
                f"The {what} is not UTF-8 text (bad byte at offset {exc.start}); save it as "
                "UTF-8 and upload it again."
            ) from None
    if "\0" in text:
        raise InvalidRequest(f"The {what} contains NUL bytes: it is not a text file.")
    return text.lstrip("\ufeff")


def is_explicit_lock(content: SpecText) -> bool:
    """True for a conda `@EXPLICIT` lock (what `conda list --explicit` writes)."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return stripped == "@EXPLICIT"
    return False


def parse_explicit_lock(content: SpecText) -> list[str]:
    """The package URLs of an `@EXPLICIT` lock, checked to be http(s)/file URLs."""
    text = _decode(content, "lock file")
    if not is_explicit_lock(text):
        raise InvalidRequest("This is not a conda lock: its first entry must be '@EXPLICIT'.")
    urls: list[str] = []
    seen_marker = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped == "@EXPLICIT" and not seen_marker:
            seen_marker = True
            continue
        if not re.match(r"^(https?|file)://\S+$", stripped):
            raise InvalidRequest(
                f"Line {number} of the lock is not a package URL: {stripped[:80]!r}. "
                "A lock lists one https:// or file:// URL per line."
            )
        urls.append(stripped)
    if not urls:
        raise InvalidRequest("The lock lists no packages.")
    return urls


def _yaml_error(exc: yaml.YAMLError) -> InvalidRequest:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return InvalidRequest(
        f"environment.yml is not valid YAML{where}: {problem}. Check the indentation "
        "and that list items start with '- '."
    )


def _string_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest(f"'{field}' in environment.yml must be a list, not {_kind(value)}.")
    result = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise InvalidRequest(
                f"Entry {index} of '{field}' in environment.yml must be a string, "
                f"not {_kind(item)}."
            )
        result.append(str(item).strip())
    return [item for item in result if item]


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(
        type(value), type(value).__name__
    )


def check_conda_spec(spec: str) -> str:
    if _URL_RE.match(spec) or spec.startswith(("/", ".", "~")):
        raise InvalidRequest(
            f"Dependency {spec!r} is a path or URL; only package specs like 'numpy>=1.26' "
            "are accepted in an uploaded environment file."
        )
    if not _CONDA_SPEC_RE.match(spec) or any(c in spec for c in ";&|`$\n"):
        raise InvalidRequest(
            f"Dependency {spec!r} is not a conda package spec (expected e.g. "
            "'numpy', 'numpy=1.26' or 'conda-forge::numpy>=1.26')."
        )
    return spec


def _split_python(spec: str) -> str | None:
    """The version of a `python...` spec as EnvSpec.python wants it, else None."""
    match = _CONDA_SPEC_RE.match(spec)
    if not match or match.group("name").lower() != "python" or match.group("channel"):
        return None
    rest = match.group("rest").strip()
    if not rest:
        return ""
    exact = re.fullmatch(r"(?:==?)\s*(\d+(?:\.\d+)*)(?:\.\*)?", rest)
    if exact:
        return exact.group(1)
    return None


def parse_environment_yml(content: SpecText) -> EnvSpec:
    """environment.yml → EnvSpec. `python=3.x` goes to `python`; `pip:` to `pip`."""
    text = _decode(content, "environment file")
    try:
        # safe_load never builds Python objects from tags; aliases are capped by size.
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    if data is None:
        raise InvalidRequest("environment.yml is empty: it needs at least 'dependencies'.")
    if not isinstance(data, dict):
        raise InvalidRequest(
            f"environment.yml must be a mapping with 'name', 'channels' and 'dependencies', "
            f"not {_kind(data)}."
        )
    unknown = sorted(str(key) for key in data if key not in _ENV_KEYS)
    if unknown:
        raise InvalidRequest(
            "environment.yml has unknown keys: " + ", ".join(unknown) + ". Expected: "
            "name, channels, dependencies."
        )
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidRequest(f"'name' in environment.yml must be a string, not {_kind(name)}.")
    channels = _string_list(data.get("channels"), "channels")
    for channel in channels:
        if any(c.isspace() for c in channel) or channel.startswith("-"):
            raise InvalidRequest(f"Channel {channel!r} is not a channel name or URL.")
    dependencies = data.get("dependencies")
    if dependencies is None:
        dependencies = []
    if not isinstance(dependencies, list):
        raise InvalidRequest(
            f"'dependencies' in environment.yml must be a list, not {_kind(dependencies)}."
        )
    spec = EnvSpec(name=name.strip() if isinstance(name, str) else None, channels=channels)
    seen_pip_section = False
    for index, item in enumerate(dependencies, start=1):
        if isinstance(item, dict):
            if set(item) != {"pip"}:
                raise InvalidRequest(
                    f"Dependency {index} is a mapping; the only mapping allowed is 'pip:' "
                    "with a list of pip requirements."
                )
            if seen_pip_section:
                raise InvalidRequest("environment.yml has more than one 'pip:' section.")
            seen_pip_section = True
            for requirement in _string_list(item["pip"], "pip"):
                spec.pip.extend(_parse_requirement_line(requirement, number=None))
            continue
        entry = _string_list([item], "dependencies")
        if not entry:
            continue
        conda_spec = check_conda_spec(entry[0])
        python = _split_python(conda_spec)
        if python:
            spec.python = python
        elif python == "":
            continue  # bare `python`: the engine's default Python
        else:
            spec.conda.append(conda_spec)
    spec.variables = _variables(data.get("variables"))
    return spec


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variables(value: object) -> dict[str, str]:
    """`variables:` as conda reads it: names to scalar values, kept as strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(
            f"'variables' in environment.yml must be a mapping, not {_kind(value)}."
        )
    variables = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
            raise InvalidRequest(f"{name!r} in 'variables' is not an environment variable name.")
        if isinstance(item, (dict, list)) or item is None:
            raise InvalidRequest(f"Variable {name} must have a plain value, not {_kind(item)}.")
        variables[name] = str(item).lower() if isinstance(item, bool) else str(item)
    return variables


def _parse_requirement_line(line: str, number: int | None) -> list[str]:
    """One requirements line → zero or one PEP 508 requirement, or InvalidRequest."""
    where = f"Line {number}" if number is not None else f"pip requirement {line!r}"
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return []
    # pip treats ' #' as the start of a comment.
    stripped = re.split(r"\s+#", stripped, maxsplit=1)[0].strip()
    if stripped.startswith("-"):
        option = re.split(r"[\s=]", stripped, maxsplit=1)[0]
        if option in ("-r", "--requirement", "-c", "--constraint"):
            raise InvalidRequest(
                f"{where}: '{option}' includes another file, which an uploaded file cannot "
                "do. Paste the other file's requirements in instead."
            )
        if option in ("-e", "--editable"):
            raise InvalidRequest(
                f"{where}: editable installs ('-e') point at local folders or VCS URLs and "
                "are refused for uploaded files."
            )
        if option in (
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "--trusted-host",
        ):
            raise InvalidRequest(
                f"{where}: '{option}' points pip at another package index; uploaded files "
                "may only name packages from the configured index."
            )
        if option in _HARMLESS_OPTIONS:
            return []
        raise InvalidRequest(f"{where}: the pip option '{option}' is not supported here.")
    if _URL_RE.match(stripped) or " @ " in stripped or stripped.startswith(("/", ".", "~")):
        raise InvalidRequest(
            f"{where}: direct URLs and paths ({stripped[:80]!r}) are refused for uploaded "
            "files; name the package and version instead (e.g. 'requests>=2.31')."
        )
    if not _PEP508_NAME_RE.match(stripped):
        raise InvalidRequest(
            f"{where}: {stripped[:80]!r} is not a requirement (expected e.g. 'pandas>=2')."
        )
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging ships with pip and setuptools
        return [stripped]
    try:
        Requirement(stripped)
    except InvalidRequirement as exc:
        raise InvalidRequest(
            f"{where}: {stripped[:80]!r} is not a valid requirement: {exc}"
        ) from None
    return [stripped]


def parse_requirements_txt(content: SpecText) -> EnvSpec:
    """requirements.txt → EnvSpec with only `pip` filled in.

    Comments, blank lines, `--pre`-style options and line continuations are
    accepted; includes (`-r`, `-c`), editables, index options and URLs are refused.
    """
    text = _decode(content, "requirements file")
    spec = EnvSpec()
    logical = ""
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not logical:
            start = number
        piece = line.lstrip() if logical else line
        if piece.endswith("\\"):
            logical += piece[:-1].rstrip() + " "
            continue
        logical += piece
        spec.pip.extend(_parse_requirement_line(logical, start))
        logical = ""
    if logical:
        spec.pip.extend(_parse_requirement_line(logical, start))
    return spec


SpecKind = Literal["conda-lock", "pypi-lock", "environment", "requirements"]

_LABELS: dict[str, str] = {
    "conda-lock": "a conda explicit lock",
    "pypi-lock": "a PyPI lock (exact pins with hashes)",
    "environment": "a conda environment file (environment.yml)",
    "requirements": "a pip requirements file",
}


@dataclass(frozen=True)
class SpecFile:
    """An environment file recognised by its content, whatever it is called.

    Every format `export` writes is one of these: yml / no-builds / from-history are
    "environment", requirements is "requirements", a conda env's lock is "conda-lock"
    (`@EXPLICIT`), a venv's lock is "pypi-lock" (pip `--hash` pins).
    """

    filename: str
    kind: SpecKind
    text: str
    #: The specs to solve, for "environment" and "requirements"; None for locks.
    spec: EnvSpec | None = None

    @property
    def is_lock(self) -> bool:
        return self.kind in ("conda-lock", "pypi-lock")

    @property
    def env_kind(self) -> EnvKind:
        """What the file builds: a conda prefix or a PyPI virtual environment."""
        return "venv" if self.kind in ("pypi-lock", "requirements") else "conda"

    @property
    def label(self) -> str:
        return _LABELS[self.kind]

    def describe(self) -> str:
        """What was recognised, for the task log and the CLI."""
        return f"Read {self.filename} as {self.label}"


def _is_pypi_lock(text: str) -> bool:
    from .engines.pypi_lock import LOCK_HEADER

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0] == LOCK_HEADER:
        return True
    pins = [line for line in lines if not line.startswith("#")]
    return bool(pins) and all("--hash=" in line for line in pins)


def _environment_mapping(text: str) -> bool:
    """True when the text is a YAML mapping shaped like an environment.yml."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return (
        isinstance(data, dict)
        and bool(data)
        and all(key in _ENV_KEYS for key in data)
        and ("dependencies" in data or "channels" in data)
    )


def read_spec_file(filename: str, content: SpecText) -> SpecFile:
    """Recognise an uploaded or local environment file by its content, and parse it.

    The name only decides for `.yml`/`.yaml` (an environment.yml with a mistake gets
    the YAML error, not "unrecognised"); anything else is read for what it is, so
    `export --format lock -o env.lock` then `create -f env.lock` works.
    """
    text = _decode(content, "file")
    lowered = filename.lower()
    if lowered.endswith((".yml", ".yaml")) and not is_explicit_lock(text):
        return SpecFile(filename, "environment", text, parse_environment_yml(text))
    if is_explicit_lock(text):
        from .conda_export import parse_lock

        parse_lock(text)  # refuse a malformed lock now, naming its line
        return SpecFile(filename, "conda-lock", text)
    if _is_pypi_lock(text):
        from .engines.pypi_lock import parse_lock as parse_pypi_lock

        parse_pypi_lock(text)
        return SpecFile(filename, "pypi-lock", text)
    if _environment_mapping(text):
        return SpecFile(filename, "environment", text, parse_environment_yml(text))
    try:
        spec = parse_requirements_txt(text)
    except InvalidRequest as error:
        raise InvalidRequest(
            f"Cannot tell what {filename!r} is: not a conda lock (@EXPLICIT), a PyPI lock, "
            f"an environment.yml or a requirements file ({' '.join(error.message.split())})"
        ) from None
    if not spec.pip:
        raise InvalidRequest(
            f"{filename} lists no packages: expected an environment.yml, a requirements "
            "file or a lock."
        )
    return SpecFile(filename, "requirements", text, spec)


def parse_spec_file(filename: str, content: SpecText) -> EnvSpec:
    """The specs of an environment.yml or requirements file, recognised by content.

    A lock (conda `@EXPLICIT`, or a PyPI lock with hashes) is refused here with a
    pointer to the lock import, because a lock must be rebuilt exactly, not solved
    again: `read_spec_file` tells which it is.
    """
    found = read_spec_file(filename, content)
    if found.spec is None:
        raise InvalidRequest(
            f"{filename} is {found.label}; import it as a lock to rebuild the exact packages."
        )
    return found.spec


def parse_requirements(specs: Iterable[str]) -> list[Requirement]:
    """PEP 508 requirements, or InvalidRequest naming the first bad one.

    Parsing first also keeps option-like strings (`--index-url=...`) from ever
    reaching the tool's command line.
    """
    parsed: list[Requirement] = []
    for spec in specs:
        text = spec.strip() if isinstance(spec, str) else ""
        if not text or text.startswith("-"):
            raise InvalidRequest(f"Not a package requirement: {spec!r}.")
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as error:
            hint = ""
            if re.match(r"^[A-Za-z0-9._-]+=[^=]", text):
                hint = " PyPI pins use '==' (conda's single '=' does not apply to venvs)."
            raise InvalidRequest(f"Invalid requirement {text!r}: {error}.{hint}") from None
    return parsed
