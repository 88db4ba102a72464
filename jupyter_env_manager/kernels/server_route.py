"""How this server serves environment kernels, decided once at start.

jupyter_server reads only `jpserver_extensions` from `jupyter_server_config.d`, so a
`kernel_spec_manager_class` shipped there is ignored: the extension has to choose the
server's kernel spec manager itself. It does so when linked, which happens before the
server creates its configurables, and only when nobody else chose one:

- no `ServerApp.kernel_spec_manager_class` in any config or on the command line, and
  no gateway: `EnvKernelSpecManager` becomes the server's manager (route
  "spec-manager");
- another manager chosen (nb_conda_kernels, a JupyterHub image's, a gateway's): it
  stays in charge; environment kernels are then written as kernelspec files that a
  watcher keeps in sync (route "kernelspec-files"), unless that is switched off or the
  kernels run behind a gateway, where local files mean nothing (route "none").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .spec_manager import EnvKernelSpecManager

SPEC_MANAGER = "spec-manager"
KERNELSPEC_FILES = "kernelspec-files"
NO_ENV_KERNELS = "none"

OUR_CLASS = f"{EnvKernelSpecManager.__module__}.{EnvKernelSpecManager.__qualname__}"


@dataclass(frozen=True)
class KernelRoute:
    spec_manager: str
    env_kernels: str
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def user_chose_spec_manager(serverapp: Any) -> bool:
    """True when a config file or the command line named `kernel_spec_manager_class`."""
    section = serverapp.config.get("ServerApp")
    return bool(section) and "kernel_spec_manager_class" in section


def behind_gateway(serverapp: Any) -> bool:
    gateway = getattr(serverapp, "gateway_config", None)
    return bool(gateway is not None and gateway.gateway_enabled)


def take_over_spec_manager(serverapp: Any) -> bool:
    """Make EnvKernelSpecManager the server's manager unless someone chose another."""
    if user_chose_spec_manager(serverapp) or behind_gateway(serverapp):
        return False
    serverapp.kernel_spec_manager_class = EnvKernelSpecManager
    return True


def route_for(serverapp: Any, *, write_kernelspecs: bool) -> KernelRoute:
    """What the server ended up with (call after it created its kernel spec manager)."""
    ksm = serverapp.kernel_spec_manager
    in_charge = _dotted(type(ksm))
    if isinstance(ksm, EnvKernelSpecManager):
        return KernelRoute(in_charge, SPEC_MANAGER)
    if behind_gateway(serverapp):
        return KernelRoute(
            in_charge,
            NO_ENV_KERNELS,
            f"Kernels run on a gateway ({in_charge}): environments on this machine are not "
            "kernels there.",
        )
    if not write_kernelspecs:
        return KernelRoute(
            in_charge,
            NO_ENV_KERNELS,
            f"Another kernel spec manager is in charge ({in_charge}) and "
            "EnvManagerApp.write_kernelspecs is off: environments are not kernels here. "
            "Run `jupyter env-manager kernel register NAME` for the ones you need.",
        )
    return KernelRoute(
        in_charge,
        KERNELSPEC_FILES,
        f"Another kernel spec manager is in charge ({in_charge}): environment kernels are "
        "served as kernelspec files kept in sync with the environments.",
    )
