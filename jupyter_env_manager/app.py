"""The Jupyter server extension application."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode

from . import __version__
from .handlers.routes import api_routes


class EnvManagerApp(ExtensionApp):
    name = "jupyter_env_manager"
    description = "Manage conda environments and virtualenvs, and run notebook grid searches."
    version = __version__
    load_other_extensions = True

    default_engine = Unicode(
        "auto",
        help=(
            "Engine for new environments: 'auto' (mamba, then conda, then micromamba, "
            "then the embedded rattler engine), 'conda', 'mamba', 'micromamba', "
            "'rattler' or 'uv'."
        ),
    ).tag(config=True)

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_routes())
