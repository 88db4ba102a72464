"""`EnvKernelProvisioner`: a local kernel, started inside its environment's activation.

Named in each environment kernel's spec (`metadata.kernel_provisioner`) with the
env in its config; registered under the `jupyter_client.kernel_provisioners` entry
point group as `jupyter-env-manager`. Everything else (ports, interrupt by
signal, restart, shutdown) is the stock `LocalProvisioner`'s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, Unicode

from .activation import DEFAULT_SCRIPT_TIMEOUT, activation_for_async


class EnvKernelProvisioner(LocalProvisioner):  # type: ignore[misc]
    env_prefix = Unicode("", help="Prefix of the environment the kernel runs in.").tag(config=True)
    env_kind = Unicode("conda", help="'conda' or 'venv'.").tag(config=True)
    env_name = Unicode("", help="Environment name (CONDA_DEFAULT_ENV).").tag(config=True)
    activation_timeout = Float(
        DEFAULT_SCRIPT_TIMEOUT, help="Seconds the env's activate.d scripts may take."
    ).tag(config=True)

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if self.env_prefix:
            prefix = Path(self.env_prefix)
            if not (prefix / "conda-meta").is_dir() and not (prefix / "pyvenv.cfg").is_file():
                raise RuntimeError(
                    f"The environment at {prefix} no longer exists; choose another kernel."
                )
            activation = await activation_for_async(
                prefix,
                kind=self.env_kind,
                name=self.env_name or None,
                script_timeout=self.activation_timeout,
            )
            # Activation first, then the spec's own `env` block (applied by the base
            # class), so a kernel author's explicit settings win.
            kwargs["env"] = activation.apply(kwargs.get("env") or os.environ)
        return await super().pre_launch(**kwargs)
