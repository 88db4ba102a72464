"""Parsing uploaded environment.yml / requirements.txt, including hostile input."""

from __future__ import annotations

import pytest

from jupyter_env_manager.core.errors import InvalidRequest
from jupyter_env_manager.core.specfiles import (
    MAX_SPEC_BYTES,
    is_explicit_lock,
    parse_environment_yml,
    parse_requirements_txt,
    parse_spec_file,
)

GOOD_YML = """\
name: analysis
channels:
  - conda-forge
  - defaults
dependencies:
  - python=3.11
  - numpy>=1.26
  - conda-forge::pandas=2.2
  - pip
  - pip:
      - requests>=2.31
      - rich  # pretty output
prefix: /home/someone/envs/analysis
"""


def test_environment_yml_fields():
    spec = parse_environment_yml(GOOD_YML)
    assert spec.name == "analysis"
    assert spec.channels == ["conda-forge", "defaults"]
    assert spec.python == "3.11"
    assert spec.conda == ["numpy>=1.26", "conda-forge::pandas=2.2", "pip"]
    assert spec.pip == ["requests>=2.31", "rich"]


@pytest.mark.parametrize(
    ("line", "python", "conda"),
    [
        ("python==3.12", "3.12", []),
        ("python=3.10.*", "3.10", []),
        ("python", None, []),
        ("python>=3.9", None, ["python>=3.9"]),  # a range stays a conda spec
    ],
)
def test_python_split(line, python, conda):
    spec = parse_environment_yml(f"dependencies:\n  - {line}\n")
    assert spec.python == python
    assert spec.conda == conda


def test_bytes_with_bom_and_numbers():
    spec = parse_environment_yml("\ufeffdependencies:\n  - numpy\n  - 3\n".encode())
    assert spec.conda == ["numpy", "3"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("dependencies: [numpy\n", "line 2"),  # YAML error carries the line number
        ("name: x\n  bad: indent\n", "line 2"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "is empty"),
        ("dependencies: numpy\n", "must be a list"),
        ("channels: conda-forge\ndependencies: []\n", "'channels'"),
        ("name: [a]\n", "'name'"),
        ("dependencies:\n  - {conda: numpy}\n", "only mapping allowed"),
        ("dependencies:\n  - pip: [a]\n  - pip: [b]\n", "more than one"),
        ("dependencies:\n  - [nested]\n", "must be a string"),
        ("dependencies:\n  - true\n", "must be a string"),
        ("dependencies:\n  - https://evil.example/pkg.tar.bz2\n", "path or URL"),
        ("dependencies:\n  - ../../etc/passwd\n", "path or URL"),
        ("dependencies:\n  - numpy; rm -rf /\n", "not a conda package spec"),
        ("dependencies:\n  - --force\n", "not a conda package spec"),
        ("dependencies:\n  - pip: ['-r other.txt']\n", "includes another file"),
        ("channels:\n  - --override\n", "not a channel"),
        ("dependencies: []\nbuild_script: rm\n", "unknown keys: build_script"),
        ("!!python/object/apply:os.system ['id']\n", "not valid YAML"),
    ],
)
def test_bad_environment_yml_is_invalid_request(text, fragment):
    with pytest.raises(InvalidRequest) as caught:
        parse_environment_yml(text)
    assert fragment in caught.value.message
    assert caught.value.status == 400


def test_billion_laughs_is_refused_or_bounded():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 9):
        refs = ",".join([f"*{chr(96 + i)}"] * 9)
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [{refs}]\n"
    # Expands to 9**9 strings if followed naively; the unknown keys are refused first.
    with pytest.raises(InvalidRequest):
        parse_environment_yml(bomb)


def test_huge_and_binary_files():
    with pytest.raises(InvalidRequest, match="1 MiB"):
        parse_environment_yml("#" * (MAX_SPEC_BYTES + 1))
    with pytest.raises(InvalidRequest, match="not UTF-8"):
        parse_environment_yml(b"dependencies:\n  - caf\xe9\n")
    with pytest.raises(InvalidRequest, match="NUL"):
        parse_requirements_txt("numpy\0\n")


def test_requirements_txt_safe_subset():
    text = (
        "# comment\n\n"
        "numpy>=1.26  # trailing comment\n"
        "pandas[performance]==2.2.*\n"
        "requests ; python_version >= '3.8'\n"
        "--pre\n"
        "scikit-learn \\\n"
        "  >=1.4\n"
    )
    assert parse_requirements_txt(text).pip == [
        "numpy>=1.26",
        "pandas[performance]==2.2.*",
        "requests ; python_version >= '3.8'",
        "scikit-learn >=1.4",
    ]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("-r other.txt", "includes another file"),
        ("--requirement=/etc/passwd", "includes another file"),
        ("-c constraints.txt", "includes another file"),
        ("-e git+https://github.com/x/y#egg=y", "editable"),
        ("--index-url https://evil.example/simple", "another package index"),
        ("--extra-index-url=https://evil.example", "another package index"),
        ("https://evil.example/pkg.whl", "direct URLs"),
        ("pkg @ https://evil.example/pkg.whl", "direct URLs"),
        ("./local/dir", "direct URLs"),
        ("--global-option=--inject", "not supported"),
        ("numpy>=>1", "not a valid requirement"),
        ("!!!", "not a requirement"),
    ],
)
def test_requirements_refusals_name_the_line(line, fragment):
    with pytest.raises(InvalidRequest) as caught:
        parse_requirements_txt(f"numpy\n{line}\n")
    assert fragment in caught.value.message
    assert caught.value.message.startswith("Line 2")


def test_dispatch_by_content_and_lock_detection():
    assert parse_spec_file("environment.yaml", "dependencies: [numpy]\n").conda == ["numpy"]
    assert parse_spec_file("requirements.txt", "rich\n").pip == ["rich"]
    lock = "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/x/noarch/a-1-0.conda\n"
    assert is_explicit_lock(lock)
    with pytest.raises(InvalidRequest, match="is a conda explicit lock; import it as a lock"):
        parse_spec_file("spec.txt", lock)
    with pytest.raises(InvalidRequest, match="Cannot tell what 'setup.py' is"):
        parse_spec_file("setup.py", "import os")
