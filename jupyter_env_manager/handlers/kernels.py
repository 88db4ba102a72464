"""Make an environment a kernel (and write its kernelspec), or take the kernelspec away."""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..kernels import registration
from ..kernels.add_kernel import add_kernel
from .base import EnvManagerHandler


class KernelHandler(EnvManagerHandler):
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        env = self.manager.get(name)
        if not env.has_ipykernel:  # installing ipykernel changes the environment
            self.manager.check_writable(env, "install ipykernel into")
        self.manager.check_idle(env)
        ksm = self.extensionapp.env_kernel_specs

        async def make_kernel(progress):  # type: ignore[no-untyped-def]
            async def conda_install(target, specs):  # type: ignore[no-untyped-def]
                return await self.manager.install(target.name, specs, progress=progress)

            ready = await add_kernel(env, install=conda_install, progress=progress)
            # Real kernelspec files let papermill and nbconvert use the environment too.
            written = await asyncio.to_thread(
                registration.register, ksm.kernels_for(ready), user=True
            )
            return {"kernels": [kernel.name for kernel in written]}

        reservation = self.manager.reserve_change(env, f"add-kernel to {env.name}")
        self.accepted(
            self.tasks.submit("add-kernel", env.name, make_kernel, reservation=reservation)
        )

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        env = self.manager.get(name)
        # Idempotent: an environment we wrote no kernelspec for has nothing to remove.
        user_kernels = [registration.destination(user=True)]
        removed = await asyncio.to_thread(
            registration.forget_environment, env.prefix, user_kernels
        )
        self.write_json({"removed": [kernel.name for kernel in removed]})
