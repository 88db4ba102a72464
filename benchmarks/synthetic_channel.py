"""A synthetic conda channel shaped like conda-forge, every record a real package archive.

Shape (seeded, so every run builds the same channel):

- `layers` x `width` package names; a package in layer k depends on 1-3 names from the
  three layers below it, so dependency chains run `layers` deep;
- 4-10 versions per name (`1.0.0`, `1.1.0`, `1.2.0`, `2.0.0`, ...); each version pins the
  dependency release that was current when it was built, the way conda-forge's run_exports
  do (`dep >=2.1.0,<3.0a0`): the newest releases fit together (as on conda-forge after a
  migration), any older choice drags older dependencies along;
- half the names are "compiled for an interpreter": one build per `interp` version
  (3.11, 3.12, 3.13), each depending on `interp >=3.X,<3.X+1.0a0` (conda-forge's python
  build matrix), under build strings `py3Xh<hash>_0`;
- about one older release in ten carries a `constrains` entry on a lower package;
- a fifth of the plain names are `noarch: generic`, the rest linux-64 (the machine's subdir).

The request pins `interp=3.12`, not the newest 3.13, so a solver must pick the right build
of every compiled package. The oldest version of every package has unpinned dependencies
and an `interp 3.12` build, and every `constrains` bound admits version 1.x, so the
request is always solvable. Every record is a real `.tar.bz2` built by
`tests/rattler/channel_builder.py` and indexed by rattler, so solvers read real repodata
and installers link real files.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from tests.rattler.channel_builder import PackageDef, build_package, index_channel

INTERPS = ("3.10", "3.11", "3.12", "3.13")
VARIANTS = ("3.11", "3.12", "3.13")


@dataclass
class VariantPackage(PackageDef):
    """A package whose build string names the interpreter it was built for."""

    variant: str = ""

    @property
    def build(self) -> str:
        key = f"{self.name}-{self.version}-{self.variant}-{self.depends}"
        digest = hashlib.sha1(key.encode()).hexdigest()[:7]
        tag = f"py{self.variant.replace('.', '')}" if self.variant else ""
        return f"{tag}h{digest}_{self.build_number}"


def _version(index: int) -> str:
    return f"{1 + index // 3}.{index % 3}.0"


def _next_major(index: int) -> str:
    return f"{2 + index // 3}.0a0"


def _interp_pin(version: str) -> str:
    major, minor = version.split(".")
    return f"interp >={version},<{major}.{int(minor) + 1}.0a0"


def generate(
    layers: int = 21, width: int = 20, seed: int = 2024, *, conflicting: bool = False
) -> list[PackageDef]:
    """The channel's packages. `conflicting`: releases built in the same period pin
    neighbouring majors of a dependency and newest releases carry `constrains` too, so the
    newest of everything does not fit together and a solver must back off (still solvable).
    """
    rng = random.Random(seed)
    names = [[f"p{layer:02d}-{i:02d}" for i in range(width)] for layer in range(layers)]
    versions = {name: rng.randint(4, 10) for row in names for name in row}
    compiled = {name: rng.random() < 0.5 for row in names for name in row}
    packages: list[PackageDef] = [
        VariantPackage("interp", f"{v}.0", build_number=b, noarch=None, files=_payload("interp"))
        for v in INTERPS
        for b in (0, 1)
    ]
    for layer, row in enumerate(names):
        below = [n for lower in names[max(0, layer - 3) : layer] for n in lower]
        for name in row:
            count = versions[name]
            deps = rng.sample(below, k=min(len(below), rng.randint(1, 3))) if below else []
            for index in range(count):
                depends = [_pin(dep, index, count, versions[dep], rng, conflicting) for dep in deps]
                constrains = []
                newest = index == count - 1 and not conflicting
                if layer >= 2 and not newest and rng.random() < 0.1:
                    other = rng.choice(names[rng.randrange(0, layer - 1)])
                    constrains.append(f"{other} <{_next_major(rng.randrange(0, versions[other]))}")
                for variant in _variants(name, index, count, compiled[name]):
                    packages.append(
                        VariantPackage(
                            name,
                            _version(index),
                            depends=depends + ([_interp_pin(variant)] if variant else []),
                            constrains=constrains,
                            noarch=None if variant or rng.random() < 0.8 else "generic",
                            files=_payload(name),
                            variant=variant,
                        )
                    )
    return packages


def _pin(
    dep: str, index: int, count: int, dep_count: int, rng: random.Random, conflicting: bool
) -> str:
    if index == 0:
        return dep
    if conflicting:
        target = round(index / max(1, count - 1) * (dep_count - 1)) - rng.randint(0, 1)
        target = max(0, min(dep_count - 1, target))
    else:
        # The dependency's release that was current when this one was built.
        target = index * (dep_count - 1) // max(1, count - 1)
    if rng.random() < 0.6:
        return f"{dep} >={_version(target)},<{_next_major(target)}"
    return f"{dep} >={_version(target)}"


def _variants(name: str, index: int, count: int, compiled: bool) -> list[str]:
    if not compiled:
        return [""]
    if index == count - 1:
        return list(VARIANTS[1:])  # the newest release dropped the oldest interpreter
    return list(VARIANTS)


def _payload(name: str) -> dict[str, bytes | str]:
    return {f"share/{name}/README": f"{name}\n"}


def build_channel(root: Path, packages: list[PackageDef]) -> str:
    """Write every package archive under `root`, index it, return the channel's URL."""
    root.mkdir(parents=True, exist_ok=True)
    for package in packages:
        build_package(package, root, compresslevel=1)
    index_channel(root)
    return root.resolve().as_uri()


#: What the user asks for: two leaf applications, a library with a floor, an interpreter.
REQUEST = ("p20-00", "p20-07", "p19-03>=2", "interp=3.12")
