"""Build a real, local conda channel for tests: `.tar.bz2` packages plus repodata.

Everything here writes real conda package archives (info/index.json, info/files,
info/paths.json with true sha256 and sizes) and indexes them with rattler, so the
engines under test solve, download and link exactly as they would from a remote
channel, only offline.

Usage from any test suite::

    from tests.rattler.channel_builder import build_channel
    url = build_channel(tmp_path / "channel")  # -> "file:///.../channel"
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rattler import Subdir
from rattler.index import index_fs

#: The variable the `activator` package's activate.d script exports.
ACTIVATE_VARIABLE = "ACTIVATOR_TEST_HOME"
#: conda-build's placeholder for the install prefix inside text files.
PREFIX_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"


@dataclass
class PackageDef:
    """One conda package to build.

    `files` maps prefix-relative paths to contents; `symlinks` maps prefix-relative
    paths to link targets. `noarch` is "generic" (default), "python" (files under
    `site-packages/`, relocated by the installer) or None for a package of the
    current platform's subdir.
    """

    name: str
    version: str
    depends: list[str] = field(default_factory=list)
    files: dict[str, bytes | str] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)
    build_number: int = 0
    noarch: str | None = "generic"
    constrains: list[str] = field(default_factory=list)
    #: Paths whose text holds `PREFIX_PLACEHOLDER`, which the installer must replace.
    text_prefix_paths: set[str] = field(default_factory=set)

    @property
    def subdir(self) -> str:
        return "noarch" if self.noarch else str(Subdir.current())

    @property
    def build(self) -> str:
        digest = hashlib.sha1(f"{self.name}-{self.version}".encode()).hexdigest()[:7]
        return f"h{digest}_{self.build_number}"

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.build}.tar.bz2"


def base_python() -> Path:
    """The machine's real interpreter (not a venv's shim), which the fake python links to."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return Path(os.path.realpath(base))


def python_package(version: str | None = None) -> PackageDef:
    """A `python` package that turns a prefix into a venv of the machine's interpreter.

    No real conda Python can be downloaded here; a `pyvenv.cfg` plus a `bin/python`
    symlink to the base interpreter gives a prefix with its own site-packages that
    uv and pip install into, which is all the engines need.
    """
    interpreter = base_python()
    info = sys.version_info
    version = version or f"{info.major}.{info.minor}.{info.micro}"
    short = f"{info.major}.{info.minor}"
    cfg = (
        f"home = {interpreter.parent}\n"
        "include-system-site-packages = false\n"
        f"version = {version}\n"
        f"executable = {interpreter}\n"
    )
    return PackageDef(
        name="python",
        version=version,
        noarch=None,
        files={
            "pyvenv.cfg": cfg,
            f"lib/python{short}/site-packages/README.txt": "site-packages of a test prefix\n",
        },
        symlinks={
            "bin/python": str(interpreter),
            "bin/python3": str(interpreter),
            f"bin/python{short}": str(interpreter),
        },
    )


def activate_script(name: str) -> str:
    return f'export {ACTIVATE_VARIABLE}="${{CONDA_PREFIX}}/share/{name}"\n'


def default_packages() -> list[PackageDef]:
    """The standard test channel.

    - alpha 1.0 and 2.0; beta 1.0 needs `alpha <2` (so `beta` + `alpha>=2` is unsatisfiable)
    - gamma 1.0, 1.5 and 2.0 with no dependencies (updates and downgrades)
    - delta 1.0 needs gamma (dependents on uninstall)
    - activator 1.0 carries etc/conda/activate.d/activator.sh exporting ACTIVATOR_TEST_HOME
    - python (the machine's version), a working interpreter prefix
    - scripty 1.0, a script whose shebang holds the prefix placeholder
    - zeta 0.5, a noarch: python library (a Python distribution shipped by conda)
    """

    def payload(name: str, version: str) -> dict[str, bytes | str]:
        return {f"share/{name}/VERSION": f"{name} {version}\n"}

    return [
        PackageDef("alpha", "1.0", files=payload("alpha", "1.0")),
        PackageDef("alpha", "2.0", files=payload("alpha", "2.0")),
        PackageDef("beta", "1.0", depends=["alpha <2"], files=payload("beta", "1.0")),
        PackageDef("gamma", "1.0", files=payload("gamma", "1.0")),
        PackageDef("gamma", "1.5", files=payload("gamma", "1.5")),
        PackageDef("gamma", "2.0", files=payload("gamma", "2.0")),
        PackageDef("delta", "1.0", depends=["gamma"], files=payload("delta", "1.0")),
        PackageDef(
            "activator",
            "1.0",
            files={
                "etc/conda/activate.d/activator.sh": activate_script("activator"),
                "etc/conda/deactivate.d/activator.sh": f"unset {ACTIVATE_VARIABLE}\n",
                **payload("activator", "1.0"),
            },
        ),
        python_package(),
        PackageDef(
            "scripty",
            "1.0",
            depends=["python"],
            files={
                "bin/scripty": (
                    f"#!{PREFIX_PLACEHOLDER}/bin/python\nimport sys\nprint(sys.prefix)\n"
                ),
            },
            text_prefix_paths={"bin/scripty"},
        ),
        PackageDef(
            "zeta",
            "0.5",
            noarch="python",
            depends=["python"],
            files={
                "site-packages/zeta/__init__.py": '__version__ = "0.5"\n',
                "site-packages/zeta-0.5.dist-info/METADATA": (
                    "Metadata-Version: 2.1\nName: zeta\nVersion: 0.5\n"
                ),
                "site-packages/zeta-0.5.dist-info/INSTALLER": "conda\n",
            },
        ),
    ]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    member.mode = mode
    member.mtime = int(time.time())
    tar.addfile(member, io.BytesIO(data))


def _add_symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    member = tarfile.TarInfo(name)
    member.type = tarfile.SYMTYPE
    member.linkname = target
    member.mtime = int(time.time())
    tar.addfile(member)


def build_package(pkg: PackageDef, channel_dir: Path, *, compresslevel: int = 9) -> Path:
    """Write `pkg` as a `.tar.bz2` into `channel_dir/<subdir>/` and return its path."""
    contents = {
        path: data.encode() if isinstance(data, str) else data for path, data in pkg.files.items()
    }
    paths: list[dict[str, object]] = []
    for path, data in sorted(contents.items()):
        entry: dict[str, object] = {
            "_path": path,
            "path_type": "hardlink",
            "sha256": _sha256(data),
            "size_in_bytes": len(data),
        }
        if path in pkg.text_prefix_paths:
            entry["file_mode"] = "text"
            entry["prefix_placeholder"] = PREFIX_PLACEHOLDER
        paths.append(entry)
    paths += [
        {"_path": path, "path_type": "softlink", "size_in_bytes": len(target)}
        for path, target in sorted(pkg.symlinks.items())
    ]
    index = {
        "name": pkg.name,
        "version": pkg.version,
        "build": pkg.build,
        "build_number": pkg.build_number,
        "depends": pkg.depends,
        "constrains": pkg.constrains,
        "license": "BSD-3-Clause",
        "subdir": pkg.subdir,
        "timestamp": int(time.time() * 1000),
    }
    if pkg.noarch:
        index["noarch"] = pkg.noarch
    else:
        platform = Subdir.current()
        index["platform"] = str(platform).split("-")[0]
        index["arch"] = {"64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(
            str(platform).split("-")[-1], str(platform).split("-")[-1]
        )

    out_dir = channel_dir / pkg.subdir
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / pkg.filename
    all_paths = sorted([*contents, *pkg.symlinks])
    with tarfile.open(target, "w:bz2", compresslevel=compresslevel) as tar:
        _add_bytes(tar, "info/index.json", json.dumps(index, indent=2).encode())
        _add_bytes(tar, "info/files", "".join(f"{p}\n" for p in all_paths).encode())
        _add_bytes(
            tar,
            "info/paths.json",
            json.dumps({"paths": paths, "paths_version": 1}, indent=2).encode(),
        )
        for path, data in sorted(contents.items()):
            mode = 0o755 if path.startswith("bin/") else 0o644
            _add_bytes(tar, path, data, mode)
        for path, link in sorted(pkg.symlinks.items()):
            _add_symlink(tar, path, link)
    return target


def _run_coroutine(coro_factory) -> None:
    """Run a coroutine to completion even when the caller is inside a running loop."""
    failure: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(coro_factory())
        except BaseException as exc:  # handed back to the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def index_channel(channel_dir: Path) -> None:
    """(Re)write repodata.json for every subdir of `channel_dir`."""
    (channel_dir / "noarch").mkdir(parents=True, exist_ok=True)
    platform = channel_dir / str(Subdir.current())
    platform.mkdir(parents=True, exist_ok=True)
    _run_coroutine(lambda: index_fs(channel_dir, write_zst=False, write_shards=False, force=True))


def build_channel(root: Path, packages: Iterable[PackageDef] | None = None) -> str:
    """Build and index a channel under `root`; return its `file://` URL.

    `packages` defaults to `default_packages()`.
    """
    root.mkdir(parents=True, exist_ok=True)
    for pkg in default_packages() if packages is None else packages:
        build_package(pkg, root)
    index_channel(root)
    return root.resolve().as_uri()


def build_wheel(directory: Path, name: str, version: str, *, module_source: str = "") -> Path:
    """Write a minimal pure-Python wheel, so pip/uv installs can be tested offline."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    module = name.replace("-", "_")
    files = {
        f"{module}/__init__.py": module_source or f'__version__ = "{version}"\n',
        f"{dist}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{dist}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: channel_builder\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record_lines = []
    for path, text in files.items():
        data = text.encode()
        digest = hashlib.sha256(data).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={encoded},{len(data)}")
    record_lines.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record_lines) + "\n"
    target = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return target
