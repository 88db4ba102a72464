"""A corpus of hostile requests against the live server.

Every case must get a 4xx JSON answer with a message, never a 5xx or a
traceback, and must leave the disk exactly as it was.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import quote

from tests.grid.conftest import write_notebook

BAD_NAMES: list[object] = [
    "", " ", "..", ".", "../x", "../../etc", "a/../b", "/etc", "/", "a/b", "a\\b", "~", "~root",
    ".hidden", "-rf", "--name", "a b", "a;b", "a|b", "a&b", "a$b", "$(id)", "`id`", "a>b", "a<b",
    "a*", "a?", "a'b", 'a"b', "a\nb", "a\tb", "a\x00b", "base", "ä", "名前", "env🙂", "a\u202eb",
    "a\u200bb", "%2e%2e", "victim\n", "victim\r\n", "ｖｉｃｔｉｍ", "a" * 65, "a" * 1000,
    "a" * 100_000, 1, 1.5, True, None, [], {}, ["x"], {"name": "x"},
]  # fmt: skip

BAD_SPECS: list[object] = [
    "numpy>>>=2", "al pha", ";rm -rf /", "$(id)", "`id`", "--index-url=http://evil", "-e .",
    "http://evil/pkg.tar.bz2", "/etc/passwd", "", " ", 1, None, ["x"], {"a": 1}, "a" * 2000,
]  # fmt: skip

BAD_YAML = [
    "name: x\ndependencies: [\n",
    "name: x\n\tdependencies:\n  - alpha\n",
    "!!python/object/apply:os.system ['id']\n",
    "name: x\ndependencies: !!python/object/new:list [[alpha]]\n",
    "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d]\n",
    "- just\n- a\n- list\n",
    "name: x\ndependencies: alpha\n",
    "name: x\ndependencies:\n  - {pip: notalist}\n",
    "name: x\nchannels: conda-forge\ndependencies: [alpha]\n",
    "name: [x]\ndependencies: [alpha]\n",
    "name: x\ndependencies:\n  - alpha\n  - file:///etc/passwd\n",
    "name: x\ndependencies:\n  - alpha; rm -rf /\n",
    "name: x\nunknown_key: 1\ndependencies: [alpha]\n",
    "\xff\xfe",
    "name: x\ndependencies: [" + "alpha, " * 300_000 + "alpha]\n",
]
BAD_REQUIREMENTS = [
    "-r other.txt\n", "-e .\n", "--index-url http://evil\n", "https://evil/x.whl\n",
    "./local/path\n", "numpy>>>=2\n", "-c constraints.txt\n", "pkg @ file:///etc/passwd\n",
]  # fmt: skip
BAD_FILENAMES = ["../environment.yml", "/etc/environment.yml", "", "dir/environment.yml", "..", 5]


def _cases() -> list[tuple[str, str, object]]:
    """(method, path below the API, JSON body or raw bytes)."""
    cases: list[tuple[str, str, object]] = []
    for name in BAD_NAMES:
        cases.append(("POST", "environments", {"name": name, "packages": ["alpha"]}))
        cases.append(("POST", "environments/victim/clone", {"name": name}))
        # Over-long URLs are cut off by tornado itself before any handler runs.
        if isinstance(name, str) and name and "\x00" not in name and len(name) < 4000:
            cases.append(("GET", f"environments/{quote(name, safe='')}", None))
    for spec in BAD_SPECS:
        cases.append(("POST", "environments", {"name": "fresh", "packages": [spec]}))
        cases.append(("POST", "environments", {"name": "fresh", "pip": [spec], "engine": "uv"}))
        cases.append(
            ("POST", "environments/victim/packages", {"action": "install", "packages": [spec]})
        )
    for text in BAD_YAML:
        file = {"filename": "environment.yml", "content": text}
        cases.append(("POST", "environments", {"name": "fresh", "file": file}))
    for text in BAD_REQUIREMENTS:
        file = {"filename": "requirements.txt", "content": text}
        cases.append(("POST", "environments", {"name": "fresh", "file": file}))
    for filename in BAD_FILENAMES:
        file = {"filename": filename, "content": "name: x\ndependencies: [alpha]\n"}
        cases.append(("POST", "environments", {"name": "fresh", "file": file}))
    for engine in ["pixi", "", "conda; rm -rf /", 5, 0, ["rattler"], "CONDA", "mamba"]:
        cases.append(("POST", "environments", {"name": "fresh", "engine": engine}))
    wrong_types = [
        {"name": "fresh", "packages": "alpha"},
        {"name": "fresh", "packages": [1, 2]},
        {"name": "fresh", "packages": [["alpha"]]},
        {"name": "fresh", "pip": {"a": 1}},
        {"name": "fresh", "channels": "file:///tmp"},
        {"name": "fresh", "python": 3.12},
        {"name": "fresh", "python": ["3.12"]},
        {"name": "fresh", "packages": ["alpha"] * 501},
        {"name": "fresh", "file": "environment.yml"},
        {"name": "fresh", "file": {"filename": "environment.yml"}},
        {"name": "fresh", "file": {"filename": "environment.yml", "content": 1}},
        {"name": "fresh", "file": {"filename": "e.yml", "content": "x", "extra": 1}},
        {"name": "fresh", "packages": ["alpha"], "unknown": True},
        {"packages": ["alpha"]},
        {},
    ]
    cases += [("POST", "environments", body) for body in wrong_types]
    raw_bodies: list[bytes] = [
        b"", b"   ", b"not json", b"{", b"[]", b'"string"', b"42", b"null", b"true",
        b'{"name": "fresh", "packages": ["alpha"]', b"\xff\xfe\x00", b"{" * 10_000,
        b'{"name": "fresh", "packages": ["' + b"a" * (3 * 1024 * 1024) + b'"]}',
    ]  # fmt: skip
    cases += [("POST", "environments", raw) for raw in raw_bodies]
    cases += [("POST", "environments/victim/clone", raw) for raw in raw_bodies[:8]]
    cases += [("POST", "environments/victim/packages", raw) for raw in raw_bodies[:8]]
    package_bodies = [
        {"action": "explode", "packages": ["alpha"]},
        {"action": "install"},
        {"action": "install", "packages": []},
        {"action": "remove"},
        {"action": "update"},
        {"action": "install", "packages": ["alpha"], "dry_run": "yes"},
        {"action": "update", "all": "true"},
        {"action": ["install"], "packages": ["alpha"]},
        {"packages": ["alpha"]},
        {"action": "install", "packages": ["alpha"], "extra": 1},
    ]
    cases += [("POST", "environments/victim/packages", body) for body in package_bodies]
    for fmt in ["pdf", "", "../../etc/passwd", "YML", "lock;rm", "yml\n"]:
        cases.append(("GET", f"environments/victim/export?format={quote(fmt)}", None))
    for missing in [
        "missing",
        "..%2F..%2Fetc",
        "%2Fetc",
        "%2Ftmp",
        quote("/nonexistent/env", safe=""),
    ]:
        for suffix in ["", "/packages", "/export"]:
            cases.append(("GET", f"environments/{missing}{suffix}", None))
        cases.append(("DELETE", f"environments/{missing}", None))
        cases.append(("POST", f"environments/{missing}/clone", {"name": "copy"}))
    for query in ["", "%20%20", "a" * 2000]:
        cases.append(("GET", f"packages/search?q={query}", None))
    cases.append(("GET", "packages/search?q=alpha&kind=npm", None))
    cases.append(("GET", "environments?sizes=maybe", None))
    for task_id in ["0" * 32, "f" * 32]:
        cases.append(("GET", f"tasks/{task_id}", None))
        cases.append(("DELETE", f"tasks/{task_id}", None))
    cases += _notebook_path_cases()
    return cases


#: Paths that are not a notebook inside the server's root: traversal, absolute, a
#: symlink out of the root (`escape` is made by the test), control characters.
BAD_NOTEBOOK_PATHS: list[object] = [
    "../outside.ipynb", "/etc/passwd", "a/../../b.ipynb", "..", "", " ", "escape/x.ipynb",
    "missing.ipynb", "x\n.ipynb", "\x00.ipynb", "~/x.ipynb", 5, None, ["x.ipynb"],
]  # fmt: skip


#: Output folders a grid must refuse (absent means "the default one"; a leading "/"
#: means the root, as in JupyterLab's paths).
BAD_OUT_DIRS: list[object] = [
    "../outside", "a/../../b", "..", "escape/sub", " ", "x\n", "\x00", 5, ["x"],
]  # fmt: skip


def _notebook_path_cases() -> list[tuple[str, str, object]]:
    """Every route that takes a path below the root, with each bad path."""
    cases: list[tuple[str, str, object]] = [
        ("POST", "grids", {"notebook": "victim.ipynb", "grid": {"x": [1]}, "kernel": "python3",
                           "out_dir": bad})
        for bad in BAD_OUT_DIRS
    ]  # fmt: skip
    for bad in BAD_NOTEBOOK_PATHS:
        cases += [
            ("POST", "grids", {"notebook": bad, "grid": {"x": [1]}, "kernel": "python3"}),
            ("POST", "grids/inspect", {"notebook": bad}),
            ("POST", "notebooks/pin", {"path": bad, "env": "victim"}),
            ("POST", "notebooks/reproduce", {"path": bad}),
        ]  # fmt: skip
        if isinstance(bad, str) and "\x00" not in bad:
            cases.append(("GET", f"notebooks/status?path={quote(bad)}", None))
    for body in [{}, {"values": "x=1"}, {"values": {"x": 1}}, {"values": ["x"]}, {"v": {}}]:
        cases.append(("POST", "grids/values", body))
    cases += [
        ("POST", "grids", {"notebook": "victim.ipynb", "grid": {"x": [1]}, "workers": 10**9,
                           "kernel": "python3"}),
        ("POST", "grids", {"notebook": "victim.ipynb", "sweeps": ["x=1,,2"], "kernel": "python3"}),
        ("POST", "grids", {"notebook": "victim.ipynb", "grid": {"nope": [1]}, "kernel": "python3"}),
    ]  # fmt: skip
    # History, rollback and the cache clean-up.
    for body in (
        {}, {"revision": "0"}, {"revision": -1}, {"revision": 10**30}, {"revision": 1.5},
        {"revision": [0]}, {"revision": None}, {"revision": True},
        {"revision": 0, "dry_run": "yes"}, {"revision": 0, "extra": 1}, b"not json", b"[]", b"",
        b"{",
    ):  # fmt: skip
        cases.append(("POST", "environments/victim/rollback", body))
    for name in BAD_NAMES[:30]:
        if isinstance(name, str) and name and name not in (".", ".."):
            encoded = quote(name, safe="")
            cases.append(("GET", f"environments/{encoded}/history", None))
            cases.append(("POST", f"environments/{encoded}/rollback", {"revision": 0}))
    for body in (b"[]", {"dry_run": 1}, {"dry_run": "true"}, {"all": True}, b"", b"{", b"null"):
        cases.append(("POST", "disk/clean", body))
    return cases


def _snapshot(*roots: Path) -> dict[str, tuple[int, float]]:
    state = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for entry in [*dirnames, *filenames]:
                path = os.path.join(dirpath, entry)
                if path.endswith((".lock", "tasks.sqlite", "tasks.sqlite-wal", "tasks.sqlite-shm")):
                    continue  # lock files and the task log are expected to be touched
                stat = os.lstat(path)
                state[path] = (stat.st_size, stat.st_mtime)
    return state


def test_corpus_is_large_enough():
    assert len(_cases()) >= 300
    routes = {path.split("?")[0].split("/")[0] for _method, path, _body in _cases()}
    assert {"environments", "packages", "tasks", "grids", "notebooks"} <= routes


async def test_hostile_requests_get_4xx_and_change_nothing(
    api, envs_root, jp_home_dir, jp_root_dir, tmp_path,
    http_server_client, jp_auth_header, jp_base_url,
):  # fmt: skip
    task = await api.run("POST", "environments", body={"name": "victim", "packages": ["alpha"]})
    assert task["status"] == "succeeded", task
    write_notebook(jp_root_dir / "victim.ipynb", "x = 1", "y = x")
    outside = tmp_path / "outside-root"
    outside.mkdir()
    write_notebook(outside / "x.ipynb", "x = 1", "y = x")
    (jp_root_dir / "escape").symlink_to(outside)
    before = _snapshot(envs_root, jp_home_dir, jp_root_dir, outside)

    failures = []
    for method, path, body in _cases():
        payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        response = await http_server_client.fetch(
            f"{jp_base_url}env-manager/api/{path}",
            method=method,
            body=payload if method in ("POST", "PUT", "PATCH") else None,
            headers=jp_auth_header,
            raise_error=False,
            allow_nonstandard_methods=True,
            follow_redirects=False,
        )
        text = response.body.decode(errors="replace")
        ok = 400 <= response.code < 500 and "Traceback" not in text
        try:
            ok = ok and bool(json.loads(text).get("message"))
        except ValueError:
            ok = False
        if not ok:
            failures.append((method, path[:80], str(body)[-80:], response.code, text[:200]))
    await asyncio.sleep(0.2)  # let any (wrongly) started task show itself on disk

    assert failures == [], "\n".join(map(str, failures))
    assert _snapshot(envs_root, jp_home_dir, jp_root_dir, outside) == before
    code, tasks = await api.call("GET", "tasks")
    assert [t["environment"] for t in tasks] == ["victim"], "a hostile request started a task"
