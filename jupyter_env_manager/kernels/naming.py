"""Kernel names and display names for environment kernels.

Conda environments get exactly the names nb_conda_kernels 2.5.2 gives
(`nb_conda_kernels/manager.py`: `_all_envs`, `_all_specs`, `clean_kernel_name`), so a
notebook saved there opens here with the same kernel and shows the same label:

- env names, over the prefixes in conda's order (sorted paths, as `conda info --json`
  lists them): the root is `base`; any other env is its folder name, except that an
  env in a folder called `envs` other than `<root>/envs`, or whose plain name is
  taken, is `<folder above envs>-<name>` (`~/.conda/envs/x` -> `.conda-x`); a name
  still taken gets `-2`, `-3`...; envs under `<root>/conda-bld/` get no kernels;
- kernel `<kernel>` of env `<env>`: `conda-env-<env>-<kernel>`, of the env named
  `base`: `conda-base-<kernel>` (older versions said `conda-root-<kernel>`: still
  accepted on lookup, see `base_aliases`);
- `<kernel>` is the kernel directory name as is, except `python2`/`python3` -> `py`
  and `ir` -> `r`;
- the whole name: accents are stripped (NFKD) when it is not ASCII, then every
  character outside `[a-zA-Z0-9._-]` becomes `_` (`café` -> `cafe`, `my env` -> `my_env`);
- display name `{language} [conda env:{environment}]`, where `language` is the spec's
  own display name, cut to `Python` when it starts with `Python`
  (`Python 3 (ipykernel)` -> `Python [conda env:base]`), and ` *` is appended for the
  env the server itself runs in.

Without a known conda root (no conda installed), the first conda envs directory
plays the root's `envs` role, so envs made there get plain `conda-env-<env>-<kernel>`.

Virtual environments (nb_conda_kernels does not see them; our own stable scheme):
`venv-<venv>-<kernel>`, `<venv>` the directory name, same cleaning and counters;
display name `{language_version} [env: {environment}]` (`Python 3.12 [env: web]`).

Format fields: `{language}` (nb_conda_kernels' language, also `{0}`), `{environment}`
(also `{1}`), `{kernel}` (kernel directory), `{display_name}` (the spec's own),
`{conda_kernel}` (the kernel name), `{language_version}` (`Python 3.12`, else as
`{language}`), `{python_version}`, `{kind}` (`conda` or `venv`) and `{prefix}`.
A configured format applies to every env; the default one only to conda envs.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ..core.paths import path_key

CONDA_PREFIX_TAG = "conda-env-"
#: nb_conda_kernels' base-env kernel names: `conda-base-*` since 2.x' `base_name`
#: default; `conda-root-*` from older versions (and ours before), kept as an alias.
CONDA_BASE_TAG = "conda-base-"
CONDA_LEGACY_BASE_TAG = "conda-root-"
VENV_TAG = "venv-"
#: nb_conda_kernels' `base_name` default: the base env's name in kernel and display names.
BASE_SHORT_NAME = "base"

NB_CONDA_KERNELS_NAME_FORMAT = "{language} [conda env:{environment}]"
DEFAULT_NAME_FORMAT = NB_CONDA_KERNELS_NAME_FORMAT
VENV_NAME_FORMAT = "{language_version} [env: {environment}]"
FORMAT_FIELDS = (
    "language",
    "environment",
    "kernel",
    "display_name",
    "conda_kernel",
    "language_version",
    "python_version",
    "kind",
    "prefix",
)
#: nb_conda_kernels marks the kernel of the env Jupyter runs in.
CURRENT_ENV_MARK = " *"

_KERNEL_KEY_ALIASES = {"python2": "py", "python3": "py", "ir": "r"}
_INVALID_CHARS = re.compile(r"[^a-zA-Z0-9._\-]")


def clean_kernel_name(name: str) -> str:
    """Make `name` a valid kernel name exactly as nb_conda_kernels does."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _INVALID_CHARS.sub("_", name)


def kernel_key(kernel_dir_name: str) -> str:
    """The kernel part of a name: `python3` -> `py`, `ir` -> `r`, anything else as is."""
    return _KERNEL_KEY_ALIASES.get(kernel_dir_name, kernel_dir_name)


def is_base_name(env_short_name: str) -> bool:
    """nb_conda_kernels treats the env *named* `base` as the base env."""
    return env_short_name == BASE_SHORT_NAME


def conda_kernel_name(env_short_name: str, kernel_dir_name: str) -> str:
    tag = "conda-" if is_base_name(env_short_name) else CONDA_PREFIX_TAG
    return clean_kernel_name(f"{tag}{env_short_name}-{kernel_key(kernel_dir_name)}")


def venv_kernel_name(venv_short_name: str, kernel_dir_name: str) -> str:
    return clean_kernel_name(f"{VENV_TAG}{venv_short_name}-{kernel_key(kernel_dir_name)}")


def base_aliases(name: str) -> list[str]:
    """Other names a notebook may use for the same base-env kernel."""
    lowered = name.lower()
    if lowered.startswith(CONDA_LEGACY_BASE_TAG):
        return [CONDA_BASE_TAG + name[len(CONDA_LEGACY_BASE_TAG) :]]
    if lowered.startswith(CONDA_BASE_TAG):
        return [CONDA_LEGACY_BASE_TAG + name[len(CONDA_BASE_TAG) :]]
    return []


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
    return conda_short_names_by_key(
        _keyed(prefixes), root_prefix=root_prefix, default_envs_dir=default_envs_dir
    )


def _keyed(prefixes: Iterable[Path]) -> dict[str, Path]:
    unique: dict[str, Path] = {}
    for prefix in prefixes:
        unique.setdefault(path_key(prefix), prefix)
    return unique


def _path_order(unique: dict[str, Path]) -> list[str]:
    """The keys of `unique` in the order of their absolute paths."""
    if os.name == "posix":
        return sorted(unique)  # there, a key is the absolute path itself
    return sorted(unique, key=lambda k: os.path.abspath(unique[k]))


def conda_short_names_by_key(
    unique: dict[str, Path],
    *,
    root_prefix: Path | None,
    default_envs_dir: Path | None = None,
) -> dict[str, str]:
    """`conda_short_names` of prefixes already keyed by `path_key` (one prefix per
    key): the kernel scan has the keys at hand."""
    root_key = path_key(root_prefix) if root_prefix is not None else None
    if default_envs_dir is None and root_prefix is not None:
        default_envs_dir = root_prefix / "envs"
    default_key = path_key(default_envs_dir) if default_envs_dir is not None else None
    build_key = os.path.join(root_key, "conda-bld", "") if root_key else None

    # conda lists prefixes sorted (base among them); nb_conda_kernels names them in
    # that order, so who gets a plain name and who a counter follows the path order.
    taken: set[str] = set()
    names: dict[str, str] = {}
    # Envs share a few folders: each folder's facts once per scan.
    folders: dict[Path, tuple[bool, bool, str]] = {}
    for key in _path_order(unique):
        if key == root_key:
            names[key] = _claim(BASE_SHORT_NAME, taken)
            continue
        if build_key and key.startswith(build_key):
            continue
        prefix = unique[key]
        path = prefix if isinstance(prefix, Path) else Path(prefix)
        parent = path.parent
        facts = folders.get(parent)
        if facts is None:
            is_envs = parent.name == "envs"
            facts = folders[parent] = (
                is_envs,
                is_envs and path_key(parent) != default_key,
                parent.parent.name if is_envs else "",
            )
        name = path.name
        is_envs, foreign, above = facts
        if is_envs and (foreign or name in taken):
            name = f"{above}-{name}"
        names[key] = _claim(name, taken)
    return names


def venv_short_names(prefixes: Iterable[Path]) -> dict[str, str]:
    """Directory names of venvs, disambiguated in path order; keyed like `conda_short_names`."""
    return venv_short_names_by_key(_keyed(prefixes))


def venv_short_names_by_key(unique: dict[str, Path]) -> dict[str, str]:
    taken: set[str] = set()
    return {key: _claim(_name(unique[key]), taken) for key in sorted(unique)}


def _name(prefix: Path) -> str:
    return (prefix if isinstance(prefix, Path) else Path(prefix)).name


def nb_language(spec_display_name: str) -> str:
    """nb_conda_kernels' `{language}`: the spec's display name, `Python` for any Python."""
    return "Python" if spec_display_name.startswith("Python") else spec_display_name


def language_version(spec_display_name: str, language: str, python_version: str | None) -> str:
    """`Python 3.12` for Python kernels (version of the env), else the kernel's own name."""
    if language.lower() == "python" or spec_display_name.startswith("Python"):
        if python_version:
            major_minor = ".".join(python_version.split(".")[:2])
            return f"Python {major_minor}"
        return "Python"
    return spec_display_name or language


def _sample_fields() -> dict[str, str]:
    return dict.fromkeys(FORMAT_FIELDS, "x")


def check_name_format(name_format: str) -> None:
    """Raise ValueError when `name_format` uses an unknown field or is malformed."""
    try:
        name_format.format("x", "x", **_sample_fields())
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        fields = ", ".join("{" + f + "}" for f in FORMAT_FIELDS)
        raise ValueError(
            f"Invalid kernel name format {name_format!r} ({error!r}); use the fields {fields}."
        ) from None


def display_name(name_format: str, **fields: str) -> str:
    """`name_format` filled in; `{0}` and `{1}` are language and environment, as in
    nb_conda_kernels' `name_format`."""
    values = {**dict.fromkeys(FORMAT_FIELDS, ""), **fields}
    return name_format.format(values["language"], values["environment"], **values)
