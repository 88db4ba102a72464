"""What a PyPI engine accepts as a package argument: any whole PEP 508 requirement;
conda match specs are refused with the requirement they mean (checked against
conda's own reading of each spec: `=1.2` is 1.2.*, `1.2` and `=1.2=build` are ==1.2)."""

from __future__ import annotations

import pytest

from jupyter_env_manager.core.errors import InvalidRequest
from jupyter_env_manager.core.pypi_requirements import pypi_requirement


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("scikit-learn", "scikit-learn"),
        ("numpy>=1.26,<3", "numpy"),
        ("numpy >= 1.26", "numpy"),
        ("numpy==1.26.*", "numpy"),
        ("requests[socks]~=2.31", "requests"),
        ("tomli; python_version < '3.11'", "tomli"),
        ("pkg @ https://example.org/pkg-1.0-py3-none-any.whl", "pkg"),
    ],
)
def test_pep_508_requirements_are_accepted_whole(spec, name):
    assert pypi_requirement(f"  {spec} ").name == name


@pytest.mark.parametrize(
    ("spec", "spelling", "why"),
    [
        ("numpy=1.26", "numpy==1.26.*", "single '='"),
        ("numpy=1.26.*", "numpy==1.26.*", "single '='"),
        ("numpy 1.26*", "numpy==1.26.*", "'name version'"),
        ("numpy 1.26", "numpy==1.26", "'name version'"),
        ("numpy=1.26=py311_0", "numpy==1.26", "the build 'py311_0'"),
        ("numpy==1.26=py311_0", "numpy==1.26", "the build 'py311_0'"),
        ("numpy 1.26 py311_0", "numpy==1.26", "the build 'py311_0'"),
        ("conda-forge::numpy", "numpy", "the channel 'conda-forge'"),
        ("conda-forge/label/dev::numpy>=2", "numpy>=2", "the channel 'conda-forge/label/dev'"),
        ("numpy[version='>=1.26']", "numpy>=1.26", "[version=...]"),
    ],
)
def test_conda_specs_are_refused_with_their_pypi_spelling(spec, spelling, why):
    with pytest.raises(InvalidRequest) as caught:
        pypi_requirement(spec)
    message = caught.value.message
    assert message.startswith(f"{spec!r} is conda syntax, not a PyPI requirement")
    assert why in message and message.endswith(f"Write it as '{spelling}'.")
    assert "\n" not in message


@pytest.mark.parametrize(
    "spec", ["numpy=1.2|1.3", "two words", "--index-url=http://evil/simple", "", " ", None, 5]
)
def test_what_is_no_requirement_is_refused_in_one_line_with_examples(spec):
    with pytest.raises(InvalidRequest) as caught:
        pypi_requirement(spec)
    assert "'numpy>=1.26'" in caught.value.message
    assert "\n" not in caught.value.message
