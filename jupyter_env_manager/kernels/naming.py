"""Kernel names and display names for environment kernels.

Conda environments: the names nb_conda_kernels (2.x, `manager.py`) gives, so a
notebook saved there opens here with the same kernel:

- kernel `<kernel>` of env `<env>`: `conda-env-<env>-<kernel>`; of the base env:
  `conda-root-<kernel>` (nb_conda_kernels calls base "root"; `conda-base-<kernel>` is
  accepted on lookup as an alias, see `base_aliases`);
- `<kernel>` is the kernel directory name lower-cased, with `python2`/`python3` -> `py`
  and `ir` -> `r`;
- `<env>` is the prefix's basename. An env in a directory called `envs` that is not
  the conda root's `envs` gets the directory above as a prefix (`~/.conda/envs/x` ->
  `.conda-x`, `~/project/envs/dev` -> `project-dev`); repeated names get `-2`, `-3`...
  in path order, base first; envs under `<root>/conda-bld/` are skipped;
- the whole name: accents are stripped (NFKD), then every character outside
  `[a-zA-Z0-9._-]` becomes `_` (`café` -> `cafe`, `数据` -> `__`, `my env` -> `my_env`).

Without a known conda root (no conda installed), the first conda envs directory
plays the root's `envs` role, so envs made there get plain `conda-env-<env>-<kernel>`.

Virtual environments (our own, stable scheme): `venv-<venv>-<kernel>`, where
`<venv>` is the directory name, `<kernel>` and the cleaning as above, repeated
names disambiguated the same way.

Display names come from a format string with the fields `{language}` (e.g.
`Python 3.12`, `R`), `{environment}` (env name), `{kernel}` (kernel directory),
`{kind}` (`conda` or `venv`) and `{prefix}`. Default `{language} [env: {environment}]`;
`{language} [conda env:{environment}]` reproduces nb_conda_kernels' style.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

CONDA_PREFIX_TAG = "conda-env-"
CONDA_BASE_TAG = "conda-root-"
CONDA_BASE_ALIAS_TAG = "conda-base-"
VENV_TAG = "venv-"
#: nb_conda_kernels' name for the base environment inside kernel names.
BASE_SHORT_NAME = "root"

DEFAULT_NAME_FORMAT = "{language} [env: {environment}]"
NB_CONDA_KERNELS_NAME_FORMAT = "{language} [conda env:{environment}]"
FORMAT_FIELDS = ("language", "environment", "kernel", "kind", "prefix")

_KERNEL_KEY_ALIASES = {"python2": "py", "python3": "py", "ir": "r"}
_INVALID_CHARS = re.compile(r"[^a-zA-Z0-9._\-]")


def clean_kernel_name(name: str) -> str:
    """Make `name` a valid kernel name exactly as nb_conda_kernels does."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _INVALID_CHARS.sub("_", name)


def kernel_key(kernel_dir_name: str) -> str:
    """The short kernel part of a name: `python3` -> `py`, `ir` -> `r`, else lower-cased."""
    lowered = kernel_dir_name.lower()
    return _KERNEL_KEY_ALIASES.get(lowered, lowered)


def conda_kernel_name(env_short_name: str, kernel_dir_name: str, *, is_base: bool) -> str:
    tag = CONDA_BASE_TAG if is_base else CONDA_PREFIX_TAG
    middle = "" if is_base else f"{env_short_name}-"
    return clean_kernel_name(f"{tag}{middle}{kernel_key(kernel_dir_name)}")


def venv_kernel_name(venv_short_name: str, kernel_dir_name: str) -> str:
    return clean_kernel_name(f"{VENV_TAG}{venv_short_name}-{kernel_key(kernel_dir_name)}")


def base_aliases(name: str) -> list[str]:
    """Other names a notebook may use for the same base-env kernel."""
    lowered = name.lower()
    if lowered.startswith(CONDA_BASE_TAG):
        return [CONDA_BASE_ALIAS_TAG + name[len(CONDA_BASE_TAG) :]]
    if lowered.startswith(CONDA_BASE_ALIAS_TAG):
        return [CONDA_BASE_TAG + name[len(CONDA_BASE_ALIAS_TAG) :]]
    return []


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(os.fspath(path)))


def _claim(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`... whichever is free first."""
    if name not in taken:
        taken.add(name)
        return name
    count = 2
    while f"{name}-{count}" in taken:
        count += 1
    taken.add(f"{name}-{count}")
    return f"{name}-{count}"


def conda_short_names(
    prefixes: Iterable[Path],
    *,
    root_prefix: Path | None,
    default_envs_dir: Path | None = None,
) -> dict[str, str]:
    """nb_conda_kernels' env names, keyed by normalised prefix (`os.path.normcase(abspath)`).

    `default_envs_dir` is `<root_prefix>/envs` when omitted. Prefixes under
    `<root_prefix>/conda-bld/` get no name (nb_conda_kernels skips them).
    """
    root_key = _key(root_prefix) if root_prefix is not None else None
    if default_envs_dir is None and root_prefix is not None:
        default_envs_dir = root_prefix / "envs"
    default_key = _key(default_envs_dir) if default_envs_dir is not None else None
    build_key = os.path.join(root_key, "conda-bld", "") if root_key else None

    unique: dict[str, Path] = {}
    for prefix in prefixes:
        unique.setdefault(_key(prefix), prefix)
    # conda lists prefixes sorted; nb_conda_kernels puts base first.
    order = sorted(unique, key=lambda k: (k != root_key, k))

    taken: set[str] = set()
    names: dict[str, str] = {}
    for key in order:
        if key == root_key:
            names[key] = _claim(BASE_SHORT_NAME, taken)
            continue
        if build_key and key.startswith(build_key):
            continue
        path = Path(unique[key])
        parent = path.parent
        name = path.name
        if parent.name == "envs" and (_key(parent) != default_key or name in taken):
            name = f"{parent.parent.name}-{name}"
        names[key] = _claim(name, taken)
    return names


def venv_short_names(prefixes: Iterable[Path]) -> dict[str, str]:
    """Directory names of venvs, disambiguated in path order; keyed like `conda_short_names`."""
    unique: dict[str, Path] = {}
    for prefix in prefixes:
        unique.setdefault(_key(prefix), prefix)
    taken: set[str] = set()
    return {key: _claim(Path(unique[key]).name, taken) for key in sorted(unique)}


def language_label(spec_display_name: str, language: str, python_version: str | None) -> str:
    """`Python 3.12` for Python kernels (version of the env), else the kernel's own name."""
    if language.lower() == "python" or spec_display_name.startswith("Python"):
        if python_version:
            major_minor = ".".join(python_version.split(".")[:2])
            return f"Python {major_minor}"
        return "Python"
    return spec_display_name or language


def check_name_format(name_format: str) -> None:
    """Raise ValueError when `name_format` uses an unknown field or is malformed."""
    sample = dict.fromkeys(FORMAT_FIELDS, "x")
    try:
        name_format.format(**sample)
    except (KeyError, IndexError, ValueError) as error:
        fields = ", ".join("{" + f + "}" for f in FORMAT_FIELDS)
        raise ValueError(
            f"Invalid kernel name format {name_format!r} ({error!r}); use the fields {fields}."
        ) from None


def display_name(
    name_format: str,
    *,
    language: str,
    environment: str,
    kernel: str,
    kind: str,
    prefix: str,
) -> str:
    return name_format.format(
        language=language, environment=environment, kernel=kernel, kind=kind, prefix=prefix
    )
