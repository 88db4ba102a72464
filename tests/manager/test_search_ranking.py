"""Search results come best match first: the exact name, then names starting with
the query, then names containing it (alphabetical within each), for PyPI and for
conda channels alike, through the CLI and over REST.

The PyPI side reads a real PEP 503 index: a folder with `simple/index.html` served
over HTTP on 127.0.0.1. The conda side reads a real local channel. Both hold more
names containing the query than a search returns, all sorting before the best
matches, so results that were cut before ranking would miss the exact name.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jupyter_env_manager.core.engines.pypi_index import MAX_INDEX_RESULTS
from jupyter_env_manager.core.engines.rattler_repodata import MAX_SEARCH_NAMES
from tests.cli_user import CliUser
from tests.conftest import SERVER_APP_CONFIG
from tests.rattler.channel_builder import PackageDef, build_channel
from tests.server.conftest import Api

#: Names as projects spell them; PEP 503 normalises `Scikit` to `scikit` and
#: `scikit.image` / `scikit_learn` to `scikit-image` / `scikit-learn`.
PYPI_PROJECTS = ["zz-scikit", "scikit_learn", "Scikit", "scikitplot", "pyscikit", "scikit.image",
                 "ascikit-tool", "scikit-aero", "unrelated"]  # fmt: skip
PYPI_BEST = ["scikit", "scikit-aero", "scikit-image", "scikit-learn", "scikitplot"]
CONDA_NAMES = ["zz-scikit", "scikit-learn", "scikit", "scikitplot", "pyscikit", "ascikit-tool",
               "scikit-aero", "unrelated"]  # fmt: skip
CONDA_BEST = ["scikit", "scikit-aero", "scikit-learn", "scikitplot"]


def _fillers(count: int) -> list[str]:
    """Names that contain the query and sort before every better match."""
    return [f"aa-scikit-{i:03d}" for i in range(count)]


@pytest.fixture(scope="module")
def pypi_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pep503")
    (root / "simple").mkdir()
    names = [*PYPI_PROJECTS, *_fillers(MAX_INDEX_RESULTS + 20)]
    links = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names)
    (root / "simple" / "index.html").write_text(
        f"<!DOCTYPE html><html><body>\n{links}</body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=os.fspath(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def ranking_channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    names = [*CONDA_NAMES, *_fillers(MAX_SEARCH_NAMES + 5)]
    return build_channel(
        tmp_path_factory.mktemp("ranking-channel"),
        [PackageDef(name, "1.0") for name in names],
    )


def _expected_pypi() -> list[str]:
    return [*PYPI_BEST, "aa-scikit-000", "aa-scikit-001"]


# ------------------------------------------------------------------ CLI


@pytest.fixture
def cli(tmp_path: Path, pypi_index: str, ranking_channel: str):
    user = CliUser(
        tmp_path,
        {"default_engine": "rattler", "channels": [ranking_channel],
         "pypi_index_url": pypi_index},
        environ={"XDG_CACHE_HOME": str(tmp_path / "xdg-cache")},  # the project-list cache
        timeout=120,
    )  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return user("search", *args, check=True)

    def search(*args: str) -> list[dict]:
        return json.loads(run(*args, "--json").stdout)

    search.run = run  # type: ignore[attr-defined]
    return search


def test_cli_pypi_search_ranks_exact_then_prefix_then_the_rest(cli, pypi_index):
    found = cli("scikit", "--pypi")
    names = [p["name"] for p in found]
    assert names[: len(_expected_pypi())] == _expected_pypi()
    assert len(names) == MAX_INDEX_RESULTS
    assert "pyscikit" not in names  # the cut drops the tail of the "contains" group
    assert {p["channel"] for p in found} == {pypi_index}


def test_cli_says_when_a_short_query_matched_more_names_than_shown(cli):
    table = cli.run("scikit", "--pypi")
    assert table.stdout.split()[0] == "scikit"
    assert table.stderr == (
        f"Showing the best {MAX_INDEX_RESULTS} names; type more of the name to see others.\n"
    )
    assert cli.run("scikit-l", "--pypi").stderr == ""  # one name: all shown


def test_cli_pypi_search_normalises_the_query_like_pep_503(cli):
    assert [p["name"] for p in cli("Scikit_Learn", "--pypi")] == ["scikit-learn"]
    assert [p["name"] for p in cli("SCIKIT.AERO", "--pypi")] == ["scikit-aero"]


def test_cli_conda_search_ranks_the_same_way(cli):
    found = cli("scikit")
    names = [p["name"] for p in found]
    assert names[: len(CONDA_BEST) + 1] == [*CONDA_BEST, "aa-scikit-000"]
    assert len(names) == MAX_SEARCH_NAMES
    assert all(p["version"] == "1.0" for p in found)


# ------------------------------------------------------------------ REST


@pytest.fixture
def jp_server_config(tmp_path: Path, pypi_index: str, ranking_channel: str):
    return {
        "ServerApp": dict(SERVER_APP_CONFIG),
        "EnvManager": {
            "default_engine": "rattler",
            "channels": [ranking_channel],
            "pypi_index_url": pypi_index,
            "envs_dirs": [str(tmp_path / "managed" / "envs")],
            "venvs_dir": str(tmp_path / "managed" / "venvs"),
            "rattler_cache_dir": str(tmp_path / "managed" / "rattler-cache"),
            "locks_dir": str(tmp_path / "managed" / "locks"),
            "search_first_wait": None,
        },
        "EnvManagerApp": {"tasks_db": str(tmp_path / "managed" / "tasks.sqlite")},
    }


async def test_rest_search_ranks_pypi_and_conda_results(jp_fetch, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    api = Api(jp_fetch)
    code, found = await api.call(
        "GET", "packages", "search", params={"q": "scikit", "kind": "venv"}
    )
    assert code == 200, found
    assert [p["name"] for p in found][: len(_expected_pypi())] == _expected_pypi()

    code, found = await api.call("GET", "packages", "search", params={"q": "Scikit"})
    assert code == 200, found
    assert [p["name"] for p in found][: len(CONDA_BEST)] == CONDA_BEST
