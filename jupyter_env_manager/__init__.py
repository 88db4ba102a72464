"""Manage conda environments and virtualenvs from JupyterLab and the command line."""

from ._version import __version__


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-env-manager"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import EnvManagerApp

    return [{"module": "jupyter_env_manager", "app": EnvManagerApp}]


__all__ = ["__version__"]
