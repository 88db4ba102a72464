"""Build the core objects the way the server does: from the Jupyter config files.

A trait set in `jupyter_server_config.py` (or `jupyter_env_manager_config.json`)
under `EnvManager` applies to the CLI too, so both act on the same directories.

traitlets (and the manager with its engines) take most of a quick command's start-up,
so they are imported only when used: `manager_configured()` tells, by reading the
same files, whether the manager's defaults can be used without them.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from jupyter_core.paths import jupyter_config_path

if TYPE_CHECKING:
    from traitlets.config import Config

    from ..core.manager import EnvManager

CONFIG_FILE_NAMES = ("jupyter_server_config", "jupyter_env_manager_config")
#: The sections traitlets reads EnvManager's traits from: the Configurable classes of
#: its MRO (the CLI gives it no parent, so no nested sections apply).
_MANAGER_SECTIONS = frozenset({"EnvManager", "LoggingConfigurable", "Configurable"})


def load_config() -> Config:
    from traitlets.config import Application, Config

    config = Config()
    paths = jupyter_config_path()
    for name in CONFIG_FILE_NAMES:
        # Later paths are more general; load them first so specific ones win.
        for loaded, _filename in Application._load_config_files(name, path=list(reversed(paths))):
            config.merge(loaded)
    return config


def make_manager() -> EnvManager:
    from ..core.manager import EnvManager

    return EnvManager(config=load_config())


def _file_in(directory: str, filename: str) -> str:
    # Where traitlets' `filefind` looks: the joined path, ~ and $VARS expanded.
    return os.path.expandvars(os.path.expanduser(os.path.join(directory, filename)))


def manager_configured() -> bool:
    """False when no file `load_config()` reads can set an EnvManager trait: every one
    there is JSON without such a section (a Python file can set anything, and a file
    that does not parse is left for traitlets to judge)."""
    for directory in jupyter_config_path():
        for name in CONFIG_FILE_NAMES:
            if os.path.isfile(_file_in(directory, f"{name}.py")):
                return True
            path = _file_in(directory, f"{name}.json")
            if not os.path.isfile(path):
                continue
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError):
                return True
            if not isinstance(data, dict):
                return True
            if any(str(key).split(".")[0] in _MANAGER_SECTIONS for key in data):
                return True
    return False
