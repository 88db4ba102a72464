"""`EnvKernelSpecManager`: the server's kernels plus one kernel per kernel in each env.

The extension makes it the server's kernel spec manager when linked (see `server_route`).

Listing must stay fast with many environments (JupyterLab asks on every page load
and every 61 s), so no subprocess ever runs here and the environment scan is
cached. The cache key is a cheap fingerprint: the mtimes of the envs dirs, the
venvs dir and environments.txt; for every candidate prefix (children of those
dirs, prefixes in environments.txt, the root) the mtimes of `conda-meta/`,
`pyvenv.cfg` and `share/jupyter/kernels/`; and of every kernel.json found. Making,
removing or changing an env, or installing a kernel into one, changes one of them,
so the next listing rescans. A fingerprint costs about one `stat` per path.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from jupyter_client.provisioning import KernelProvisionerFactory
from jupyter_core.paths import jupyter_path
from traitlets import Bool, List, TraitError, Unicode, default, validate

from ..core import discovery
from ..core.models import Environment
from . import naming
from .env_kernels import (
    KERNELS_SUBDIR,
    METADATA_KEY,
    PROVISIONER_NAME,
    EnvKernel,
    KernelCache,
    build_env_kernels,
    read_kernel_json,
)

_Fingerprint = tuple[object, ...]


def _stat(path: Path | str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # Size too: mtimes come from a coarse clock, two quick writes can share one.
    return st.st_mtime_ns, st.st_ino, st.st_size


_KERNELS_SUBDIR = os.sep + os.fspath(KERNELS_SUBDIR)


def _prefix_stamp(prefix: Path | str) -> tuple[object, ...]:
    base = os.fspath(prefix)
    # A prefix with conda-meta/ is a conda env whatever else it holds: pyvenv.cfg
    # matters only without it (one stat fewer per env on every listing).
    conda_meta = _stat(base + os.sep + "conda-meta")
    venv_cfg = _stat(base + os.sep + "pyvenv.cfg") if conda_meta is None else None
    return conda_meta, venv_cfg, _stat(base + _KERNELS_SUBDIR)


def _children(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return sorted(e.path for e in entries if not e.name.startswith("."))
    except OSError:
        return []


class EnvKernelSpecManager(KernelSpecManager):
    """Kernel specs for every environment, plus (by default) the server's own."""

    keep_plain_kernels = Bool(
        True,
        help="Also list the kernels Jupyter finds on its own (the server's python3, "
        "kernels installed with `jupyter kernelspec install`).",
    ).tag(config=True)

    include_envs = Unicode(
        "",
        help="Only environments whose name or prefix matches this regular expression "
        "(re.search) get kernels. Empty: all.",
    ).tag(config=True)

    exclude_envs = Unicode(
        "",
        help="Environments whose name or prefix matches this regular expression "
        "(re.search) get no kernels. Empty: none excluded.",
    ).tag(config=True)

    hide_base_env = Bool(False, help="Give the conda base environment no kernels.").tag(config=True)

    name_format = Unicode(
        naming.DEFAULT_NAME_FORMAT,
        help="Display name of environment kernels. The default is nb_conda_kernels' own "
        f"({naming.NB_CONDA_KERNELS_NAME_FORMAT!r}, for conda envs; venvs get "
        f"{naming.VENV_NAME_FORMAT!r}); a format set here applies to every env. Fields: "
        "{language} ('Python', 'R'; also {0}), {environment} (also {1}), {kernel}, "
        "{display_name} (the spec's own), {conda_kernel}, {language_version} "
        "('Python 3.12'), {python_version}, {kind} ('conda' or 'venv'), {prefix}.",
    ).tag(config=True)

    envs_dirs = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        help="Conda envs directories to scan. None: those of EnvManager (conda's own).",
    ).tag(config=True)

    venvs_dir = Unicode(
        None, allow_none=True, help="Virtualenvs directory to scan. None: EnvManager.venvs_dir."
    ).tag(config=True)

    environments_txt = Unicode(
        None,
        allow_none=True,
        help="conda's list of known envs. None: ~/.conda/environments.txt.",
    ).tag(config=True)

    root_prefix = Unicode(
        None,
        allow_none=True,
        help="The conda root (base) prefix. None: found as conda finds it (the configured "
        "conda executable, CONDA_EXE, MAMBA_ROOT_PREFIX, conda or mamba on PATH); "
        "empty string: no base environment.",
    ).tag(config=True)

    @default("kernel_dirs")
    def _kernel_dirs_default(self) -> list[str]:
        # jupyter_client's default imports all of IPython (20 ms, a CLI grid's and a
        # server's start pay it) to name one legacy folder: IPython's own directory.
        ipython_dir = os.environ.get("IPYTHONDIR") or os.path.join(
            os.path.expanduser("~"), ".ipython"
        )
        return [*jupyter_path("kernels"), os.path.join(ipython_dir, "kernels")]

    @validate("include_envs", "exclude_envs")
    def _valid_regex(self, proposal: Any) -> str:
        try:
            re.compile(proposal["value"])
        except re.error as error:
            raise TraitError(f"Invalid regular expression {proposal['value']!r}: {error}") from None
        return proposal["value"]

    @validate("name_format")
    def _valid_format(self, proposal: Any) -> str:
        try:
            naming.check_name_format(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None
        return proposal["value"]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()
        self._locations: discovery.Locations | None = None
        self._fingerprint: _Fingerprint | None = None
        self._kernels: dict[str, EnvKernel] = {}
        self._by_lower: dict[str, EnvKernel] = {}
        self._kernel_files: list[str] = []
        self._usable: list[Environment] = []
        self._provisioner_ok: bool | None = None
        self._kernel_cache: KernelCache = {}
        #: (base URL, kernel name) -> REST model, for the kernels of the last scan.
        self._models: dict[tuple[str, str], tuple[EnvKernel, dict[str, Any]]] = {}
        self._served: set[str] = set()
        self._plain_models: dict[tuple[str, str, str], tuple[object, dict[str, Any]]] = {}

    # -- where to look -------------------------------------------------------

    def locations(self) -> discovery.Locations:
        """The discovery Locations, built once from our traits and EnvManager's config."""
        with self._lock:
            if self._locations is None:
                self._locations = self._build_locations()
            return self._locations

    def _build_locations(self) -> discovery.Locations:
        from ..core.manager import EnvManager

        manager = EnvManager(config=self.config)
        # Kept to see which prefixes are still being built: those are no kernels yet.
        self._building_locks = manager.locks
        venvs = self.venvs_dir if self.venvs_dir is not None else manager.venvs_dir
        # The root conda would use (from the configured executable, CONDA_EXE, PATH...),
        # unless our own trait names one: the same envs, names and order as `conda env list`.
        locations = discovery.Locations.default(
            venvs_dir=Path(venvs).expanduser(),
            conda_executable=manager.conda_executable or None,
            root_prefix=self.root_prefix,
        )
        if self.envs_dirs is not None:
            locations.conda_envs_dirs = [Path(d).expanduser() for d in self.envs_dirs]
        elif manager.envs_dirs:
            locations.conda_envs_dirs = [Path(d).expanduser() for d in manager.envs_dirs]
        if self.environments_txt is not None:
            locations.environments_txt = Path(self.environments_txt).expanduser()
        return locations

    # -- scanning ------------------------------------------------------------

    def _fingerprint_now(self, locations: discovery.Locations) -> _Fingerprint:
        parts: list[object] = []
        prefixes: list[str] = []
        for directory in [*locations.conda_envs_dirs, locations.venvs_dir]:
            parts.append(_stat(directory))
            prefixes += _children(directory)
        parts.append(_stat(locations.environments_txt))
        prefixes += [
            os.fspath(p) for p in discovery.read_environments_txt(locations.environments_txt)
        ]
        if locations.root_prefix is not None:
            prefixes.append(os.fspath(locations.root_prefix))
        prefixes += [os.fspath(p) for p in locations.extra_prefixes]
        parts += [(p, _prefix_stamp(p)) for p in prefixes]
        parts.append((self.include_envs, self.exclude_envs, self.hide_base_env, self.name_format))
        return tuple(parts)

    def _files_fingerprint(self, files: list[str]) -> _Fingerprint:
        # Catches a kernel.json edited in place, which changes no directory mtime.
        return tuple(_stat(f) for f in files)

    def _selected(self, envs: list[Environment]) -> list[Environment]:
        include = re.compile(self.include_envs) if self.include_envs else None
        exclude = re.compile(self.exclude_envs) if self.exclude_envs else None
        chosen = []
        for env in envs:
            texts = (env.name, str(env.prefix))
            if env.is_base and self.hide_base_env:
                continue
            if include is not None and not any(include.search(t) for t in texts):
                continue
            if exclude is not None and any(exclude.search(t) for t in texts):
                continue
            chosen.append(env)
        return chosen

    def _provisioner_available(self) -> bool:
        if self._provisioner_ok is None:
            probe = KernelSpec(
                metadata={"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME}}
            )
            factory = KernelProvisionerFactory.instance(parent=self.parent)
            self._provisioner_ok = bool(factory.is_provisioner_available(probe))
            if not self._provisioner_ok:
                self.log.warning(
                    "The %s kernel provisioner is not installed; environment kernels will "
                    "run without activation (reinstall jupyter-env-manager).",
                    PROVISIONER_NAME,
                )
        return self._provisioner_ok

    def env_kernels(self) -> dict[str, EnvKernel]:
        """Kernel name -> EnvKernel for every selected env, rescanned only on change."""
        with self._lock:
            locations = self.locations()
            building = self._building_locks.building_prefixes()
            # Taken before scanning: a change during the scan shows up next time.
            fingerprint = (
                (self._fingerprint_now(locations), frozenset(building)),
                self._files_fingerprint(self._kernel_files),
            )
            if fingerprint == self._fingerprint:
                return self._kernels
            self._usable = [
                e for e in discovery.list_environments(locations) if e.prefix not in building
            ]
            envs = self._selected(self._usable)
            root = locations.root_prefix
            default_envs_dir = (
                root / "envs"
                if root is not None
                else (locations.conda_envs_dirs[0] if locations.conda_envs_dirs else None)
            )
            file_stamps: list[tuple[str, object]] = []
            kernels = build_env_kernels(
                envs,
                root_prefix=root,
                default_envs_dir=default_envs_dir,
                name_format=self.name_format,
                provisioner=self._provisioner_available(),
                cache=self._kernel_cache,
                file_stamps=file_stamps,
            )
            self._kernels = {k.name: k for k in kernels}
            self._by_lower = {k.name.lower(): k for k in kernels}
            self._served = {os.path.normcase(os.path.abspath(k.env.prefix)) for k in kernels}
            self._models = {key: v for key, v in self._models.items() if key[1] in self._kernels}
            # The folders too: a logo added to a kernel changes its REST model. Their
            # stats as the scan took them, before reading: a file changed since is
            # read again next time.
            self._kernel_files = [path for path, _stamp in file_stamps]
            self._fingerprint = (fingerprint[0], tuple(stamp for _path, stamp in file_stamps))
            self.log.debug("Found %d environment kernels in %d envs", len(kernels), len(envs))
            return self._kernels

    def environments(self) -> list[Environment]:
        """Every usable environment (filters aside) as of the last `env_kernels()` scan."""
        with self._lock:
            return list(self._usable)

    def kernels_for(self, env: Environment) -> list[EnvKernel]:
        """The kernels of one environment (as listed, so filters apply)."""
        wanted = os.path.normcase(os.path.abspath(env.prefix))
        return [
            k
            for k in self.env_kernels().values()
            if os.path.normcase(os.path.abspath(k.env.prefix)) == wanted
        ]

    def find_env_kernel(self, kernel_name: str) -> EnvKernel | None:
        self.env_kernels()
        with self._lock:
            for candidate in [kernel_name, *naming.base_aliases(kernel_name)]:
                found = self._by_lower.get(candidate.lower())
                if found is not None:
                    return found
        return None

    # -- KernelSpecManager API -------------------------------------------------

    def _plain_kernel_specs(self, kernels: dict[str, EnvKernel] | None = None) -> dict[str, str]:
        """The kernels Jupyter finds on its own, less kernelspec files we wrote for an
        environment this manager serves under another name (e.g. `conda-root-py`
        written before base kernels were named `conda-base-py`): listed twice, the
        old name would launch the same environment under a stale label."""
        plain = super().find_kernel_specs() if self.keep_plain_kernels else {}
        if kernels is None:
            kernels = self.env_kernels()
        with self._lock:
            served = self._served
        for name, resource_dir in list(plain.items()):
            spec_file = Path(resource_dir) / "kernel.json"
            # ipykernel's own resources folder stands in for a missing python3 spec
            # and has no kernel.json: nothing of ours to recognise there.
            if name in kernels or not spec_file.is_file():
                continue
            spec = read_kernel_json(spec_file) or {}
            marker = (spec.get("metadata") or {}).get(METADATA_KEY) or {}
            prefix = marker.get("env_prefix") if isinstance(marker, dict) else None
            if (
                isinstance(prefix, str)
                and marker.get("registered")
                and os.path.normcase(os.path.abspath(prefix)) in served
            ):
                del plain[name]
        return plain

    def find_kernel_specs(self) -> dict[str, str]:
        specs = self._plain_kernel_specs()
        for name, kernel in self.env_kernels().items():
            if not self.allowed_kernelspecs or name in self.allowed_kernelspecs:
                specs[name] = kernel.resource_dir
        return specs

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        found = self.find_env_kernel(kernel_name)
        if found is not None:
            return self.kernel_spec_class(resource_dir=found.resource_dir, **found.spec)
        if not self.keep_plain_kernels:
            raise NoSuchKernel(kernel_name)
        return super().get_kernel_spec(kernel_name)

    def get_all_specs(self) -> dict[str, Any]:
        """Every kernel as the REST model `/api/kernelspecs` serves (name, spec,
        resources), plus the `resource_dir` jupyter_client's API promises.

        jupyter_server passes finished models through untouched; given only specs, it
        would start one thread per kernel to look for logos, which costs more than
        everything else with 100 environments. The models are kept until the next
        scan, so a warm listing costs the fingerprint's `stat`s.
        """
        base_url = getattr(self.parent, "base_url", None) or "/"
        result: dict[str, Any] = {}
        kernels = self.env_kernels()
        if self.keep_plain_kernels:
            for name, resource_dir in self._plain_kernel_specs(kernels).items():
                model = self._plain_model(base_url, name, resource_dir)
                if model is not None:
                    result[name] = model
        with self._lock:
            for name, kernel in kernels.items():
                if self.allowed_kernelspecs and name not in self.allowed_kernelspecs:
                    continue
                # A kernel unchanged since the last scan is the same object (see
                # build_env_kernels' cache), and so keeps its model.
                cached = self._models.get((base_url, name))
                if cached is None or cached[0] is not kernel:
                    model = _model(base_url, name, _spec_dict(kernel), kernel.resource_dir)
                    cached = self._models[(base_url, name)] = (kernel, model)
                result[name] = cached[1]
        return result

    def _plain_model(self, base_url: str, name: str, resource_dir: str) -> dict[str, Any] | None:
        """The model of a kernel Jupyter found itself, rebuilt when its files change."""
        stamp = (_stat(os.path.join(resource_dir, "kernel.json")), _stat(resource_dir))
        key = (base_url, name, resource_dir)
        cached = self._plain_models.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            spec = super().get_kernel_spec(name)
        except NoSuchKernel:
            return None
        except Exception:
            self.log.warning("Error loading kernelspec %r", name, exc_info=True)
            return None
        model = _model(base_url, name, spec.to_dict(), spec.resource_dir)
        self._plain_models[key] = (stamp, model)
        return model


def _model(base_url: str, name: str, spec: dict[str, Any], resource_dir: str) -> dict[str, Any]:
    """jupyter_server's `kernelspec_model`: resources are kernel.js, kernel.css and
    `logo-*` files, served under `<base_url>kernelspecs/<name>/`."""
    resources: dict[str, str] = {}
    try:
        files = sorted(os.listdir(resource_dir))
    except OSError:
        files = []
    # As jupyter_server's url_path_join(base_url, "kernelspecs", name, file) spells it.
    prefix = "/".join(part for part in (base_url.strip("/"), "kernelspecs", name) if part)
    if base_url.startswith("/"):
        prefix = "/" + prefix
    for resource in ("kernel.js", "kernel.css"):
        if resource in files:
            resources[resource] = f"{prefix}/{resource}"
    for fname in files:
        if fname.startswith("logo-"):
            resources[os.path.splitext(fname)[0]] = f"{prefix}/{fname}"
    return {"name": name, "spec": spec, "resources": resources, "resource_dir": resource_dir}


_SPEC_DEFAULTS: dict[str, Any] = {
    "env": {},
    "language": "",
    "interrupt_mode": "signal",
    "metadata": {},
    "kernel_protocol_version": "",
}


def _spec_dict(kernel: EnvKernel) -> dict[str, Any]:
    """The same keys `KernelSpec.to_dict()` gives, without building a HasTraits object."""
    spec = kernel.spec
    result = {key: spec.get(key, default) for key, default in _SPEC_DEFAULTS.items()}
    result["argv"] = spec["argv"]
    result["display_name"] = spec.get("display_name", kernel.name)
    return result
