"""Helpers shared by the uv / venv+pip engine tests: tiny real wheels, a real
local simple index over HTTP, and process/tree inspection.

A wheel is only a zip holding the package's files plus
`<name>-<version>.dist-info/{METADATA,WHEEL,RECORD}`; installers check the
RECORD hashes, so they are computed for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from jupyter_env_manager.core.models import Environment
from jupyter_env_manager.core.site_packages import python_version


@dataclass(frozen=True)
class Dist:
    """A distribution to build: name, version and PEP 508 requirements."""

    name: str
    version: str
    requires: tuple[str, ...] = field(default=())


# Several names (some sharing a substring, for search), two versions of a
# dependency, and a package pinned against the newest dependency (for conflicts).
WHEELHOUSE_DISTS: tuple[Dist, ...] = (
    Dist("alpha", "1.0"),
    Dist("alpha", "2.0"),
    Dist("alphabet", "0.3"),
    Dist("beta", "1.0", ("alpha>=1.0",)),
    Dist("beta", "1.5", ("alpha>=2.0",)),
    Dist("gamma", "0.1", ("alpha<2",)),
    Dist("delta-tools", "3.2.1"),
)


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(directory: Path, dist: Dist) -> Path:
    """Write a pure-Python wheel whose module reports its own version."""
    module = dist.name.replace("-", "_")
    dist_info = f"{module}-{dist.version}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {dist.name}",
        f"Version: {dist.version}",
        f"Summary: test distribution {dist.name}",
    ]
    metadata += [f"Requires-Dist: {req}" for req in dist.requires]
    files: dict[str, bytes] = {
        f"{module}/__init__.py": f'__version__ = "{dist.version}"\n'.encode(),
        f"{dist_info}/METADATA": ("\n".join(metadata) + "\n").encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: jupyter-env-manager-tests\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record_lines = [f"{path},{_record_hash(data)},{len(data)}" for path, data in files.items()]
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    wheel = directory / f"{module}-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


class LocalIndex:
    """A real PEP 691 (JSON) simple index over HTTP, serving the wheelhouse.

    `requests` records every path asked for, so tests can see what was fetched.
    """

    def __init__(self, wheelhouse: Path, *, html_project_list: bool = False):
        self.wheelhouse = wheelhouse
        self.html_project_list = html_project_list
        self.requests: list[str] = []
        #: Seconds to wait before answering the project list, like a big slow index.
        self.delay = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/simple/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _files(self) -> dict[str, list[Path]]:
        projects: dict[str, list[Path]] = {}
        for wheel in sorted(self.wheelhouse.glob("*.whl")):
            name = wheel.name.split("-")[0].replace("_", "-")
            projects.setdefault(name, []).append(wheel)
        return projects

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:  # noqa: N802 - uv probes files before fetching
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                index.requests.append(self.path)
                projects = index._files()
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                json_type = "application/vnd.pypi.simple.v1+json"
                if parts == ["simple"]:
                    time.sleep(index.delay)
                    if index.html_project_list:
                        links = "".join(f'<a href="{n}/">{n}</a>\n' for n in projects)
                        self._send(f"<html><body>{links}</body></html>".encode(), "text/html")
                        return
                    body = {
                        "meta": {"api-version": "1.0"},
                        "projects": [{"name": name} for name in projects],
                    }
                    self._send(json.dumps(body).encode(), json_type)
                elif len(parts) == 2 and parts[0] == "simple" and parts[1] in projects:
                    files = [
                        {
                            "filename": wheel.name,
                            "url": f"/files/{wheel.name}",
                            "hashes": {"sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()},
                        }
                        for wheel in projects[parts[1]]
                    ]
                    body = {"meta": {"api-version": "1.0"}, "name": parts[1], "files": files}
                    self._send(json.dumps(body).encode(), json_type)
                elif len(parts) == 2 and parts[0] == "files":
                    wheel = index.wheelhouse / parts[1]
                    if wheel.is_file():
                        self._send(wheel.read_bytes(), "application/octet-stream")
                    else:
                        self.send_error(404)
                else:
                    self.send_error(404)

        return Handler


def processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` with its size and modification time."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


def env_at(prefix: Path, engine: str = "uv") -> Environment:
    return Environment(
        name=prefix.name,
        prefix=prefix,
        kind="venv",
        engine=engine,
        python_version=python_version(prefix),
    )


CURRENT_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
