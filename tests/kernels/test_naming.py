"""Kernel names match nb_conda_kernels' scheme (read from anaconda/nb_conda_kernels,
`nb_conda_kernels/manager.py`, 2.x: `_all_envs`, `_all_specs`, `clean_kernel_name`),
so notebooks saved with it open here with the same kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_env_manager.kernels import naming

ROOT = Path("/opt/conda")

# (env prefix, kernel directory) -> the name nb_conda_kernels gives, worked out by
# hand from its rules; base is /opt/conda.
COMPAT_TABLE = [
    ("/opt/conda", "python3", "conda-root-py"),
    ("/opt/conda", "ir", "conda-root-r"),
    ("/opt/conda/envs/foo", "python3", "conda-env-foo-py"),
    ("/opt/conda/envs/foo", "python2", "conda-env-foo-py"),
    ("/opt/conda/envs/foo", "ir", "conda-env-foo-r"),
    ("/opt/conda/envs/foo", "julia-1.10", "conda-env-foo-julia-1.10"),
    ("/opt/conda/envs/foo", "Python3", "conda-env-foo-py"),  # kernel dir lower-cased
    ("/opt/conda/envs/MixedCase", "python3", "conda-env-MixedCase-py"),  # env case kept
    ("/opt/conda/envs/my env", "python3", "conda-env-my_env-py"),
    ("/opt/conda/envs/café", "python3", "conda-env-cafe-py"),  # accent stripped
    ("/opt/conda/envs/Ångström", "python3", "conda-env-Angstrom-py"),
    ("/opt/conda/envs/数据", "python3", "conda-env-__-py"),  # no ASCII form: underscores
    ("/opt/conda/envs/ŝtelo+ĉ", "python3", "conda-env-stelo_c-py"),
    ("/opt/conda/envs/data.v2_x-y", "python3", "conda-env-data.v2_x-y-py"),
    # Another `envs` directory: the folder above becomes part of the name.
    ("/home/me/.conda/envs/bar", "python3", "conda-env-.conda-bar-py"),
    ("/home/me/project/envs/dev", "python3", "conda-env-project-dev-py"),
    # A prefix outside any envs dir: its basename.
    ("/data/analysis", "python3", "conda-env-analysis-py"),
]


def names_for(prefixes: list[str]) -> dict[str, str]:
    return naming.conda_short_names([Path(p) for p in prefixes], root_prefix=ROOT)


@pytest.mark.parametrize(("prefix", "kernel_dir", "expected"), COMPAT_TABLE)
def test_nb_conda_kernels_compatible_names(prefix: str, kernel_dir: str, expected: str):
    all_prefixes = sorted({p for p, _, _ in COMPAT_TABLE})
    short = names_for(all_prefixes)[str(Path(prefix))]
    name = naming.conda_kernel_name(short, kernel_dir, is_base=Path(prefix) == ROOT)
    assert name == expected


def test_repeated_names_get_counters_in_path_order():
    short = names_for(
        ["/srv/b/analysis", "/opt/conda/envs/analysis", "/srv/a/analysis", "/opt/conda"]
    )
    assert short == {
        "/opt/conda": "root",
        "/opt/conda/envs/analysis": "analysis",
        "/srv/a/analysis": "analysis-2",
        "/srv/b/analysis": "analysis-3",
    }


def test_same_name_in_root_envs_and_other_envs_dir():
    # nb_conda_kernels prefixes the parent folder when the plain name is taken.
    short = names_for(["/opt/conda/envs/x", "/home/me/.conda/envs/x"])
    assert short["/opt/conda/envs/x"] == "x"
    assert short["/home/me/.conda/envs/x"] == ".conda-x"


def test_conda_build_envs_are_skipped():
    short = names_for(["/opt/conda/conda-bld/pkg_123/_test_env", "/opt/conda/envs/ok"])
    assert list(short.values()) == ["ok"]


def test_without_a_root_the_first_envs_dir_acts_as_roots():
    short = naming.conda_short_names(
        [Path("/home/me/.conda/envs/a"), Path("/srv/envs/b")],
        root_prefix=None,
        default_envs_dir=Path("/home/me/.conda/envs"),
    )
    assert short == {"/home/me/.conda/envs/a": "a", "/srv/envs/b": "srv-b"}


def test_base_alias_lookup_names():
    assert naming.base_aliases("conda-root-py") == ["conda-base-py"]
    assert naming.base_aliases("conda-base-r") == ["conda-root-r"]
    assert naming.base_aliases("conda-env-x-py") == []


def test_venv_scheme():
    short = naming.venv_short_names([Path("/v/one"), Path("/w/one"), Path("/v/données")])
    assert naming.venv_kernel_name(short["/v/one"], "python3") == "venv-one-py"
    assert naming.venv_kernel_name(short["/w/one"], "python3") == "venv-one-2-py"
    assert naming.venv_kernel_name(short["/v/données"], "ir") == "venv-donnees-r"


def test_display_names_default_and_nb_conda_kernels_style():
    fields = dict(environment="foo", kernel="python3", kind="conda", prefix="/opt/conda/envs/foo")
    lang = naming.language_label("Python 3 (ipykernel)", "python", "3.12.4")
    assert lang == "Python 3.12"
    assert naming.display_name(naming.DEFAULT_NAME_FORMAT, language=lang, **fields) == (
        "Python 3.12 [env: foo]"
    )
    assert naming.display_name(naming.NB_CONDA_KERNELS_NAME_FORMAT, language=lang, **fields) == (
        "Python 3.12 [conda env:foo]"
    )
    assert naming.language_label("R", "R", None) == "R"


def test_bad_name_format_is_rejected_with_the_field_list():
    with pytest.raises(ValueError, match=r"\{language\}"):
        naming.check_name_format("{lang} [{environment}]")
    naming.check_name_format("{language} in {prefix} ({kind}/{kernel})")
