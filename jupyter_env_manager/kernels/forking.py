"""Kernels forked from a pre-imported template process (see `fork_template.py`).

`ForkingProvisioner` is the environment provisioner with one change: when the
command is an ipykernel launch (`python [options] -m ipykernel_launcher ...`), the
kernel is forked from a template started with the same interpreter, options and
environment, instead of a new interpreter importing everything again. Ports,
connection file, activation, signals and shutdown stay the stock ones; the kernel's
own stdout and stderr go to /dev/null (its output travels over ZMQ). Any other
command, or a template that cannot fork, falls back to an ordinary launch.

`forking_spec()` rewrites a kernelspec to use it; the grid kernel pool applies it
through `ForkingSpecManager`. The template processes themselves are `templates.py`'s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

from .provisioner import EnvKernelProvisioner
from .templates import ForkedKernelProcess, TemplateUnavailable, running_template, template_for

log = logging.getLogger(__name__)

PROVISIONER_NAME = "jupyter-env-manager-forked"
_WRAPPABLE_PROVISIONERS = {"", "local-provisioner", "jupyter-env-manager"}
_KERNEL_MODULES = {"ipykernel_launcher", "ipykernel"}


def split_kernel_command(cmd: list[str]) -> tuple[list[str], list[str]] | None:
    """(interpreter + options, kernel arguments) of an ipykernel launch, else None."""
    if "-m" not in cmd[1:]:
        return None
    at = cmd.index("-m", 1)
    if at + 1 >= len(cmd) or cmd[at + 1] not in _KERNEL_MODULES:
        return None
    if any(not part.startswith("-") for part in cmd[1:at] if "=" not in part):
        return None  # something other than interpreter options precedes -m
    return cmd[:at], cmd[at + 2 :]


class ForkingProvisioner(EnvKernelProvisioner):  # type: ignore[misc]
    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        split = split_kernel_command(cmd)
        if split is None:
            return await super().launch_kernel(cmd, **kwargs)
        interpreter, argv = split
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            # Only a start needs a thread; handing every launch to one cost CPU per run.
            template = running_template(interpreter, env) or await asyncio.to_thread(
                template_for, interpreter, env
            )
            pid = await asyncio.to_thread(template.fork, argv, cwd, env)
        except TemplateUnavailable as error:
            log.info("launching kernel without a template: %s", error)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernelProcess(pid, template)
        self.pid = pid
        self.pgid = pid  # the child called setsid()
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if signum == signal.SIGKILL and isinstance(self.process, ForkedKernelProcess):
            self.process.sent_kill()
        await super().send_signal(signum)


def forking_spec(spec: KernelSpec) -> KernelSpec:
    """`spec` launched through `ForkingProvisioner` when it is an ipykernel spec whose
    provisioner that one extends; otherwise `spec` unchanged."""
    provisioner = spec.metadata.get("kernel_provisioner") or {}
    name = provisioner.get("provisioner_name", "")
    if os.name != "posix" or name not in _WRAPPABLE_PROVISIONERS:
        return spec  # fork() and select() on pipes are POSIX-only
    if split_kernel_command(spec.argv) is None:
        return spec
    data = spec.to_dict()
    data["metadata"] = {
        **spec.metadata,
        "kernel_provisioner": {
            "provisioner_name": PROVISIONER_NAME,
            "config": dict(provisioner.get("config") or {}),
        },
    }
    return KernelSpec(resource_dir=spec.resource_dir, **data)


class ForkingSpecManager(KernelSpecManager):  # type: ignore[misc]
    """Another spec manager's kernels, with ipykernel specs rewritten by `forking_spec`."""

    def __init__(self, inner: KernelSpecManager, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def find_kernel_specs(self) -> dict[str, str]:
        return self.inner.find_kernel_specs()  # type: ignore[no-any-return]

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return forking_spec(self.inner.get_kernel_spec(kernel_name))
