"""Build the core objects the way the server does: from the Jupyter config files.

A trait set in `jupyter_server_config.py` (or `jupyter_env_manager_config.json`)
under `EnvManager` applies to the CLI too, so both act on the same directories.
"""

from __future__ import annotations

from jupyter_core.paths import jupyter_config_path
from traitlets.config import Application, Config

from ..core.manager import EnvManager

CONFIG_FILE_NAMES = ("jupyter_server_config", "jupyter_env_manager_config")


def load_config() -> Config:
    config = Config()
    paths = jupyter_config_path()
    for name in CONFIG_FILE_NAMES:
        # Later paths are more general; load them first so specific ones win.
        for loaded, _filename in Application._load_config_files(name, path=list(reversed(paths))):
            config.merge(loaded)
    return config


def make_manager() -> EnvManager:
    return EnvManager(config=load_config())
