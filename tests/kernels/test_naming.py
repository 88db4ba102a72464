"""Kernel names and display names equal nb_conda_kernels 2.5.2's.

Rules read from anaconda/nb_conda_kernels at tag 2.5.2, `nb_conda_kernels/manager.py`
(cited per row below):

- [envs-base]   `_all_envs`: the prefix equal to conda's `conda_prefix` is named
                `base_name`, whose default is "base".
- [envs-plain]  `_all_envs`: any other prefix is named by `split(path)[1]`, its folder name,
                wherever it lives (not only in envs dirs).
- [envs-parent] `_all_envs`: when the parent folder is called `envs` and is not
                `<conda_prefix>/envs`, or the plain name is already taken, the name is
                `<basename(dirname(parent))>-<name>`.
- [envs-count]  `_all_envs`: a name still taken gets `-2`, `-3`, ...; prefixes are taken
                in the order of `conda info --json`'s `envs` (sorted paths).
- [envs-bld]    `_all_envs`: prefixes under `<conda_prefix>/conda-bld/` are skipped.
- [spec-key]    `_all_specs`: kernel dir `python2`/`python3` -> `py`, `ir` -> `r`, any other
                dir name unchanged (case kept).
- [spec-name]   `_all_specs`: `conda-{"" if env_name == base_name else "env-"}{env_name}-{kernel}`.
- [clean]       `clean_kernel_name`: non-ASCII names are NFKD-normalised with combining
                marks dropped, then every char outside `[a-zA-Z0-9._-]` becomes `_`.
- [display]     `_all_specs`: `display_prefix` is the spec's display_name, cut to "Python" when
                it starts with "Python"; `name_format` default
                `{language} [conda env:{environment}]` with `{0}`=language, `{1}`=env name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_env_manager.kernels import naming

ROOT = "/opt/conda"
PY = "Python 3 (ipykernel)"

# The prefixes `conda info --json` lists in every row unless the row gives its own.
STANDARD = [
    ROOT,
    "/opt/conda/envs/foo",
    "/opt/conda/envs/MixedCase",
    "/opt/conda/envs/my env",
    "/opt/conda/envs/café",
    "/opt/conda/envs/Ångström",
    "/opt/conda/envs/数据",
    "/opt/conda/envs/ŝtelo+ĉ",
    "/opt/conda/envs/data.v2_x-y",
    "/home/me/.conda/envs/bar",
    "/home/me/project/envs/dev",
    "/data/analysis",
]

# (rule, prefixes or None for STANDARD, prefix, kernel dir, spec display name,
#  expected kernel name, expected display name)
TABLE = [
    ("envs-base spec-name", None, ROOT, "python3", PY,
     "conda-base-py", "Python [conda env:base]"),
    ("envs-base spec-key", None, ROOT, "ir", "R",
     "conda-base-r", "R [conda env:base]"),
    ("envs-plain spec-key", None, "/opt/conda/envs/foo", "python3", PY,
     "conda-env-foo-py", "Python [conda env:foo]"),
    ("spec-key", None, "/opt/conda/envs/foo", "python2", "Python 2",
     "conda-env-foo-py", "Python [conda env:foo]"),
    ("spec-key", None, "/opt/conda/envs/foo", "ir", "R",
     "conda-env-foo-r", "R [conda env:foo]"),
    ("spec-key", None, "/opt/conda/envs/foo", "julia-1.10", "Julia 1.10.4",
     "conda-env-foo-julia-1.10", "Julia 1.10.4 [conda env:foo]"),
    ("spec-key: only the exact names map", None, "/opt/conda/envs/foo", "Python3", "Python 3",
     "conda-env-foo-Python3", "Python [conda env:foo]"),
    ("display: Python-prefixed names of any kind", None, "/opt/conda/envs/foo", "pyspark",
     "PySpark", "conda-env-foo-pyspark", "PySpark [conda env:foo]"),
    ("display", None, "/opt/conda/envs/foo", "python3", "Python 3.12 (ipykernel)",
     "conda-env-foo-py", "Python [conda env:foo]"),
    ("envs-plain: case kept", None, "/opt/conda/envs/MixedCase", "python3", PY,
     "conda-env-MixedCase-py", "Python [conda env:MixedCase]"),
    ("clean: space", None, "/opt/conda/envs/my env", "python3", PY,
     "conda-env-my_env-py", "Python [conda env:my env]"),
    ("clean: accent stripped", None, "/opt/conda/envs/café", "python3", PY,
     "conda-env-cafe-py", "Python [conda env:café]"),
    ("clean", None, "/opt/conda/envs/Ångström", "python3", PY,
     "conda-env-Angstrom-py", "Python [conda env:Ångström]"),
    ("clean: no ASCII form", None, "/opt/conda/envs/数据", "python3", PY,
     "conda-env-__-py", "Python [conda env:数据]"),
    ("clean", None, "/opt/conda/envs/ŝtelo+ĉ", "python3", PY,
     "conda-env-stelo_c-py", "Python [conda env:ŝtelo+ĉ]"),
    ("clean: allowed characters kept", None, "/opt/conda/envs/data.v2_x-y", "python3", PY,
     "conda-env-data.v2_x-y-py", "Python [conda env:data.v2_x-y]"),
    ("envs-parent: ~/.conda/envs", None, "/home/me/.conda/envs/bar", "python3", PY,
     "conda-env-.conda-bar-py", "Python [conda env:.conda-bar]"),
    ("envs-parent: a project's envs", None, "/home/me/project/envs/dev", "python3", PY,
     "conda-env-project-dev-py", "Python [conda env:project-dev]"),
    ("envs-plain: outside any envs dir", None, "/data/analysis", "python3", PY,
     "conda-env-analysis-py", "Python [conda env:analysis]"),
    ("envs-count: sorted order, plain name first",
     [ROOT, "/srv/b/analysis", "/opt/conda/envs/analysis", "/srv/a/analysis"],
     "/opt/conda/envs/analysis", "python3", PY,
     "conda-env-analysis-py", "Python [conda env:analysis]"),
    ("envs-count", [ROOT, "/srv/b/analysis", "/opt/conda/envs/analysis", "/srv/a/analysis"],
     "/srv/a/analysis", "python3", PY,
     "conda-env-analysis-2-py", "Python [conda env:analysis-2]"),
    ("envs-count", [ROOT, "/srv/b/analysis", "/opt/conda/envs/analysis", "/srv/a/analysis"],
     "/srv/b/analysis", "python3", PY,
     "conda-env-analysis-3-py", "Python [conda env:analysis-3]"),
    ("envs-parent: plain name taken by an earlier (sorted) prefix",
     [ROOT, "/data/x", "/opt/conda/envs/x"], "/opt/conda/envs/x", "python3", PY,
     "conda-env-conda-x-py", "Python [conda env:conda-x]"),
    ("envs-parent + envs-count", [ROOT, "/a/envs/x", "/b/a/envs/x"], "/b/a/envs/x", "python3",
     PY, "conda-env-a-x-2-py", "Python [conda env:a-x-2]"),
    ("envs-plain + spec-name: an env *named* base is the base for nb_conda_kernels",
     [ROOT, "/aaa/base"], "/aaa/base", "python3", PY,
     "conda-base-py", "Python [conda env:base]"),
    ("envs-base + envs-count: so the real base is counted", [ROOT, "/aaa/base"], ROOT,
     "python3", PY, "conda-env-base-2-py", "Python [conda env:base-2]"),
]  # fmt: skip


def short_names(prefixes: list[str]) -> dict[str, str]:
    return naming.conda_short_names([Path(p) for p in prefixes], root_prefix=Path(ROOT))


@pytest.mark.parametrize(
    ("rule", "prefixes", "prefix", "kernel_dir", "spec_display", "name", "display"),
    TABLE,
    ids=[f"{row[2]}:{row[3]}" for row in TABLE],
)
def test_nb_conda_kernels_table(rule, prefixes, prefix, kernel_dir, spec_display, name, display):
    short = short_names(prefixes or STANDARD)[str(Path(prefix))]
    assert naming.conda_kernel_name(short, kernel_dir) == name, rule
    shown = naming.display_name(
        naming.DEFAULT_NAME_FORMAT,
        language=naming.nb_language(spec_display),
        environment=short,
        kernel=kernel_dir,
    )
    assert shown == display, rule


def test_conda_build_envs_are_skipped():  # [envs-bld]
    short = short_names([ROOT, "/opt/conda/conda-bld/pkg_123/_test_env", "/opt/conda/envs/ok"])
    assert sorted(short.values()) == ["base", "ok"]


def test_names_follow_path_order_not_input_order():  # [envs-count]
    forward = ["/srv/a/analysis", "/srv/b/analysis", ROOT]
    assert short_names(forward) == short_names(list(reversed(forward)))


def test_without_a_root_the_first_envs_dir_acts_as_roots():
    short = naming.conda_short_names(
        [Path("/home/me/.conda/envs/a"), Path("/srv/envs/b")],
        root_prefix=None,
        default_envs_dir=Path("/home/me/.conda/envs"),
    )
    assert short == {"/home/me/.conda/envs/a": "a", "/srv/envs/b": "srv-b"}


def test_older_base_names_are_aliases():
    # Notebooks saved by nb_conda_kernels < 2.3 (and by us before) say conda-root-*.
    assert naming.base_aliases("conda-root-py") == ["conda-base-py"]
    assert naming.base_aliases("conda-base-r") == ["conda-root-r"]
    assert naming.base_aliases("conda-env-x-py") == []


def test_venv_scheme():
    short = naming.venv_short_names([Path("/v/one"), Path("/w/one"), Path("/v/données")])
    assert naming.venv_kernel_name(short["/v/one"], "python3") == "venv-one-py"
    assert naming.venv_kernel_name(short["/w/one"], "python3") == "venv-one-2-py"
    assert naming.venv_kernel_name(short["/v/données"], "ir") == "venv-donnees-r"


def test_venv_display_keeps_the_python_version():
    label = naming.language_version(PY, "python", "3.12.4")
    assert label == "Python 3.12"
    assert naming.language_version("R", "R", None) == "R"
    shown = naming.display_name(
        naming.VENV_NAME_FORMAT, language="Python", language_version=label, environment="web"
    )
    assert shown == "Python 3.12 [env: web]"


def test_positional_fields_as_in_nb_conda_kernels():  # [display]
    shown = naming.display_name("{0} ({1}, {kernel})", language="R", environment="x", kernel="ir")
    assert shown == "R (x, ir)"


def test_bad_name_format_is_rejected_with_the_field_list():
    with pytest.raises(ValueError, match=r"\{language\}"):
        naming.check_name_format("{lang} [{environment}]")
    with pytest.raises(ValueError, match=r"\{language\}"):
        naming.check_name_format("{2}")
    naming.check_name_format("{language} in {prefix} ({kind}/{kernel}) {conda_kernel}")
