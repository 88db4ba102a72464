"""The environment pinned into a notebook: what it is, reading and writing it.

A pin lives in the notebook's metadata under one namespaced key with a schema
version, so the notebook carries everything needed to rebuild its environment:

    metadata["jupyter_env_manager"]["pin"] = {
        "schema": 1,
        "environment": {"name": "ml", "engine": "rattler", "kind": "conda"},
        "platform": "linux-64",          # where the lock was made
        "python": "3.12.4",
        "spec": "<export --format from-history>",   # what was asked for
        "lock": "<export --format lock>",           # the exact packages
        "fingerprint": "<sha256 of the package set>",
        "packages": ["conda:numpy-2.0.1-py312h_0", "pypi:ipykernel==6.29.5", ...],
        "kernel": "conda-env-ml-py",
    }

and `metadata["kernelspec"]` names the environment's kernel, as Jupyter expects.
Notebooks are read and written as JSON (nbformat's layout: one-space indent, keys
sorted, UTF-8), without importing nbformat, which costs over a second here.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import InvalidRequest

METADATA_KEY = "jupyter_env_manager"
PIN_SCHEMA = 1
#: A grid's output folder keeps the pin of the environment its runs ran in here.
GRID_PIN_FILE = "environment-pin.json"


def with_pin(notebook_text: str, pin: dict[str, Any]) -> str:
    """An output notebook's text with `pin` in its metadata."""
    notebook = json.loads(notebook_text)
    notebook.setdefault("metadata", {}).setdefault(METADATA_KEY, {})["pin"] = pin
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


class PinError(InvalidRequest):
    """The notebook holds no usable pin (none, unreadable, or of a newer schema)."""


@dataclass
class Pin:
    name: str
    engine: str
    kind: str
    platform: str
    python: str | None
    spec: str
    lock: str
    fingerprint: str
    packages: list[str] = field(default_factory=list)
    kernel: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "schema": PIN_SCHEMA,
            "environment": {
                "name": data.pop("name"),
                "engine": data.pop("engine"),
                "kind": data.pop("kind"),
            },
            **data,
        }

    @classmethod
    def from_json(cls, data: object, where: str) -> Pin:
        if not isinstance(data, dict):
            raise PinError(f"{where} holds no environment pin.")
        schema = data.get("schema")
        if not isinstance(schema, int) or schema > PIN_SCHEMA:
            raise PinError(
                f"{where} was pinned by a newer jupyter-env-manager (pin schema {schema!r}, "
                f"this one reads {PIN_SCHEMA}); upgrade it to use this pin."
            )
        env = data.get("environment")
        try:
            assert isinstance(env, dict)
            return cls(
                name=str(env["name"]),
                engine=str(env["engine"]),
                kind=str(env["kind"]),
                platform=str(data["platform"]),
                python=data.get("python"),
                spec=str(data["spec"]),
                lock=str(data["lock"]),
                fingerprint=str(data["fingerprint"]),
                packages=[str(p) for p in data.get("packages") or []],
                kernel=data.get("kernel"),
            )
        except (AssertionError, KeyError, TypeError):
            raise PinError(f"{where} holds a damaged environment pin.") from None


def read_notebook(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidRequest(f"No notebook at {path}.") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(f"{path} is not a readable notebook: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise InvalidRequest(f"{path} is not a Jupyter notebook (no cells).")
    return data


def write_notebook(path: Path, notebook: dict[str, Any]) -> None:
    """Write as nbformat does, through a temporary file, so no reader sees half of it."""
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pin_of(notebook: dict[str, Any], where: str) -> Pin | None:
    """The notebook's pin, None when it has none."""
    ours = (notebook.get("metadata") or {}).get(METADATA_KEY) or {}
    if "pin" not in ours:
        return None
    return Pin.from_json(ours["pin"], where)


def set_pin(notebook: dict[str, Any], pin: Pin, kernelspec: dict[str, str] | None) -> bool:
    """Put `pin` (and the kernel) into the notebook; False when it already held both."""
    metadata = notebook.setdefault("metadata", {})
    ours = metadata.setdefault(METADATA_KEY, {})
    changed = ours.get("pin") != pin.to_json()
    ours["pin"] = pin.to_json()
    if kernelspec is not None and metadata.get("kernelspec") != kernelspec:
        metadata["kernelspec"] = kernelspec
        changed = True
    return changed


def set_kernel(notebook: dict[str, Any], kernelspec: dict[str, str]) -> bool:
    metadata = notebook.setdefault("metadata", {})
    if metadata.get("kernelspec") == kernelspec:
        return False
    metadata["kernelspec"] = kernelspec
    return True
