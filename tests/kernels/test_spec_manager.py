"""EnvKernelSpecManager on real directories: what it lists, how it names and rewrites
specs, its filters, and that its cache follows every change on disk."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import NoSuchKernel
from traitlets import TraitError

from jupyter_env_manager.kernels.env_kernels import PROVISIONER_NAME
from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager

from .fake_envs import PYTHON_SPEC, fake_conda_env, fake_venv, write_kernel


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    dirs = {
        "root": tmp_path / "miniforge",
        "envs": tmp_path / "miniforge" / "envs",
        "venvs": tmp_path / "venvs",
        "txt": tmp_path / "environments.txt",
    }
    fake_conda_env(dirs["root"], kernels=("python3",))
    dirs["envs"].mkdir()
    dirs["venvs"].mkdir()
    return dirs


def manager(tree: dict[str, Path], **traits) -> EnvKernelSpecManager:
    return EnvKernelSpecManager(
        envs_dirs=[str(tree["envs"])],
        venvs_dir=str(tree["venvs"]),
        environments_txt=str(tree["txt"]),
        root_prefix=str(tree["root"]),
        **traits,
    )


def test_lists_every_kernel_of_every_env_with_env_interpreter(tree):
    stats = fake_conda_env(tree["envs"] / "stats", kernels=("python3", "ir"))
    web = fake_venv(tree["venvs"] / "web")
    specs = manager(tree).get_all_specs()

    # Base is conda-base-* as nb_conda_kernels 2.5.2 names it (conda-root-* was older versions').
    assert {"conda-base-py", "conda-env-stats-py", "conda-env-stats-r", "venv-web-py"} <= set(specs)
    assert "python3" in specs  # the server's own kernel is kept by default

    py = specs["conda-env-stats-py"]
    assert py["resource_dir"] == str(stats / "share/jupyter/kernels/python3")
    assert py["spec"]["argv"] == [
        str(stats / "bin/python"),
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    # nb_conda_kernels' display names for conda envs; venvs keep the Python version.
    assert py["spec"]["display_name"] == "Python [conda env:stats]"
    assert py["spec"]["metadata"]["debugger"] is True  # the env's own metadata is kept
    assert py["spec"]["metadata"]["jupyter_env_manager"] == {
        "env_name": "stats",
        "env_prefix": str(stats),
        "env_kind": "conda",
        "env_engine": "conda",
        "kernel_dir": "python3",
    }
    nb_keys = {k: v for k, v in py["spec"]["metadata"].items() if k.startswith("conda_")}
    assert nb_keys == {
        "conda_env_name": "stats",
        "conda_env_path": str(stats),
        "conda_language": "Python",
        "conda_raw_kernel_name": "python3",
        "conda_is_base_environment": False,
        "conda_is_currently_running": False,
    }
    assert py["spec"]["metadata"]["kernel_provisioner"] == {
        "provisioner_name": PROVISIONER_NAME,
        "config": {"env_prefix": str(stats), "env_kind": "conda", "env_name": "stats"},
    }
    r = specs["conda-env-stats-r"]["spec"]
    assert r["argv"][0] == str(stats / "bin/R")  # the env's R, not one on PATH
    assert r["display_name"] == "R [conda env:stats]"
    assert r["language"] == "R"
    assert specs["conda-base-py"]["spec"]["display_name"] == "Python [conda env:base]"
    assert specs["conda-base-py"]["spec"]["metadata"]["conda_is_base_environment"] is True
    assert specs["venv-web-py"]["spec"]["argv"][0] == str(web / "bin/python")
    assert specs["venv-web-py"]["spec"]["display_name"] == "Python 3.11 [env: web]"


def test_argv_rules_absolute_paths_kept_prefix_placeholder_filled(tree):
    env = fake_conda_env(tree["envs"] / "odd", kernels=())
    write_kernel(env, "abs", {**PYTHON_SPEC, "argv": ["/usr/bin/python3", "-m", "x"]})
    write_kernel(env, "tmpl", {**PYTHON_SPEC, "argv": ["{prefix}/bin/python", "{prefix}/x"]})
    write_kernel(env, "missing", {**PYTHON_SPEC, "argv": ["julia", "-i"]})
    specs = manager(tree).get_all_specs()
    assert specs["conda-env-odd-abs"]["spec"]["argv"] == ["/usr/bin/python3", "-m", "x"]
    assert specs["conda-env-odd-tmpl"]["spec"]["argv"] == [
        f"{env}/bin/python",
        f"{env}/x",
    ]
    # Not in the env: left for PATH (the activated PATH has the env's bin first).
    assert specs["conda-env-odd-missing"]["spec"]["argv"][0] == "julia"


def test_broken_and_registered_specs_are_skipped(tree):
    env = fake_conda_env(tree["envs"] / "mixed")
    broken = env / "share/jupyter/kernels/broken"
    broken.mkdir()
    (broken / "kernel.json").write_text("{not json")
    write_kernel(
        env, "copy", {**PYTHON_SPEC, "metadata": {"jupyter_env_manager": {"registered": True}}}
    )
    names = set(manager(tree).find_kernel_specs())
    assert "conda-env-mixed-py" in names
    assert not {n for n in names if "broken" in n or "copy" in n}


def test_get_kernel_spec_sync_case_insensitive_and_base_alias(tree):
    fake_conda_env(tree["envs"] / "Stats")
    ksm = manager(tree)
    spec = ksm.get_kernel_spec("conda-env-Stats-py")
    assert spec.argv[0] == str(tree["envs"] / "Stats/bin/python")
    assert ksm.get_kernel_spec("CONDA-ENV-STATS-PY").argv == spec.argv
    # Base is `conda-base-*`; notebooks saved by older nb_conda_kernels (or by us before)
    # say `conda-root-*`, which finds it too.
    assert ksm.get_kernel_spec("conda-base-py").argv[0] == str(tree["root"] / "bin/python")
    assert ksm.get_kernel_spec("conda-root-py").argv[0] == str(tree["root"] / "bin/python")
    assert "conda-root-py" not in ksm.find_kernel_specs()  # an alias, not listed twice
    assert ksm.get_kernel_spec("python3").language == "python"
    with pytest.raises(NoSuchKernel):
        ksm.get_kernel_spec("conda-env-nope-py")


def test_filters_and_plain_kernels_switch(tree):
    for name in ("keep-a", "keep-b", "scratch"):
        fake_conda_env(tree["envs"] / name)
    fake_venv(tree["venvs"] / "tool")
    names = set(
        manager(
            tree, include_envs="^keep|tool", exclude_envs="-b$", hide_base_env=True
        ).find_kernel_specs()
    )
    assert {"conda-env-keep-a-py", "venv-tool-py", "python3"} <= names
    assert not names & {"conda-env-keep-b-py", "conda-env-scratch-py", "conda-base-py"}

    only_envs = manager(tree, keep_plain_kernels=False)
    assert "python3" not in only_envs.get_all_specs()
    with pytest.raises(NoSuchKernel):
        only_envs.get_kernel_spec("python3")


def test_exclude_matches_prefixes_too(tree):
    fake_conda_env(tree["envs"] / "a")
    names = manager(tree, exclude_envs=str(tree["envs"])).find_kernel_specs()
    assert "conda-env-a-py" not in names
    assert "conda-base-py" in names


def test_a_configured_display_format_applies_to_conda_envs_and_venvs(tree):
    fake_conda_env(tree["envs"] / "foo")
    fake_venv(tree["venvs"] / "tool")
    ksm = manager(tree, name_format="{language_version} ({kind}: {environment}, {0})")
    conda = ksm.get_kernel_spec("conda-env-foo-py").display_name
    assert conda == "Python 3.12 (conda: foo, Python)"
    assert ksm.get_kernel_spec("venv-tool-py").display_name == "Python 3.11 (venv: tool, Python)"


def test_the_env_running_jupyter_is_marked_as_nb_conda_kernels_does(tree, monkeypatch):
    env = fake_conda_env(tree["envs"] / "server-env")
    monkeypatch.setattr(sys, "prefix", str(env))
    spec = manager(tree).get_kernel_spec("conda-env-server-env-py")
    assert spec.display_name == "Python [conda env:server-env] *"
    assert spec.metadata["conda_is_currently_running"] is True


@pytest.mark.parametrize(
    ("trait", "value"),
    [("include_envs", "(unclosed"), ("exclude_envs", "*bad"), ("name_format", "{nope}")],
)
def test_bad_traits_are_refused(tree, trait, value):
    with pytest.raises(TraitError):
        manager(tree, **{trait: value})


def test_cache_is_reused_until_something_changes(tree):
    ksm = manager(tree)
    first = ksm.env_kernels()
    assert ksm.env_kernels() is first  # nothing changed: no rescan

    env = fake_conda_env(tree["envs"] / "fresh")  # new env
    assert "conda-env-fresh-py" in ksm.env_kernels()

    fake_venv(tree["venvs"] / "v1", kernels=())  # venv without kernel...
    assert "venv-v1-py" not in ksm.env_kernels()
    write_kernel(tree["venvs"] / "v1", "python3", PYTHON_SPEC)  # ...gets one
    assert "venv-v1-py" in ksm.env_kernels()

    spec_file = env / "share/jupyter/kernels/python3/kernel.json"
    edited = {**PYTHON_SPEC, "language": "python", "env": {"EDITED": "yes, in place"}}
    spec_file.write_text(json.dumps(edited))  # edited in place: no dir mtime changes
    assert ksm.get_kernel_spec("conda-env-fresh-py").env == {"EDITED": "yes, in place"}

    shutil.rmtree(env)  # env removed
    assert "conda-env-fresh-py" not in ksm.env_kernels()


def test_envs_listed_only_in_environments_txt_come_and_go(tree, tmp_path):
    outside = fake_conda_env(tmp_path / "elsewhere" / "proj-env")
    tree["txt"].write_text(f"{outside}\n")
    ksm = manager(tree)
    spec = ksm.get_kernel_spec("conda-env-proj-env-py")
    # Named by path in discovery (as conda names it); nb_conda_kernels shows the folder name.
    assert spec.display_name == "Python [conda env:proj-env]"
    assert spec.metadata["jupyter_env_manager"]["env_name"] == str(outside)
    shutil.rmtree(outside)  # environments.txt still lists it
    assert "conda-env-proj-env-py" not in ksm.find_kernel_specs()


def test_hundred_envs_warm_listing_is_fast(tree):
    for i in range(100):
        fake_conda_env(tree["envs"] / f"env{i:03d}")
    ksm = manager(tree)
    assert len(ksm.get_all_specs()) >= 101
    # Warm listings reuse the scan (its speed is benchmarks/bench_kernelspecs.py's job).
    scanned = ksm.env_kernels()
    ksm.get_all_specs()
    assert ksm.env_kernels() is scanned


def test_kernelspec_files_written_under_an_old_name_are_not_listed_twice(tree, tmp_path):
    from jupyter_env_manager.kernels import registration

    ksm = manager(tree)
    base_kernels = ksm.kernels_for(next(k.env for k in ksm.env_kernels().values() if k.env.is_base))
    kernels_dir = tmp_path / "user-kernels"
    # What `kernel register base` wrote before base kernels were named conda-base-*.
    written = registration.register(base_kernels, prefix=str(tmp_path / "user"))
    (tmp_path / "user" / "share" / "jupyter" / "kernels" / written[0].name).rename(
        kernels_dir.parent / "old"
    )
    kernels_dir.mkdir()
    (kernels_dir.parent / "old").rename(kernels_dir / "conda-root-py")
    # And a kernelspec of somebody else's under a name we do not serve: kept.
    other = kernels_dir / "someone-else"
    other.mkdir()
    (other / "kernel.json").write_text(
        '{"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],'
        ' "display_name": "Theirs", "language": "python"}'
    )

    listed = manager(tree, kernel_dirs=[str(kernels_dir)]).get_all_specs()
    assert "conda-base-py" in listed
    assert "conda-root-py" not in listed  # served as conda-base-py already
    assert "someone-else" in listed


def test_listing_gives_the_models_jupyter_server_would_build_and_follows_kernel_files(tree):
    """get_all_specs hands the REST models over ready-made (jupyter_server then skips
    its per-kernel logo search): they must be what its own kernelspec_model builds,
    under the server's base URL, and follow files added to a kernel's folder."""
    from types import SimpleNamespace

    from jupyter_server.services.kernelspecs.handlers import kernelspec_model
    from traitlets import Unicode
    from traitlets.config import Configurable

    class Server(Configurable):  # the base_url ServerApp carries
        base_url = Unicode("/base/url/")

    env = fake_conda_env(tree["envs"] / "logos")
    ksm = manager(tree, parent=Server())
    handler = SimpleNamespace(base_url="/base/url/")

    def check_all() -> dict:
        listed = ksm.get_all_specs()
        for name, model in listed.items():
            expected = kernelspec_model(handler, name, model["spec"], model["resource_dir"])
            assert {k: model[k] for k in ("name", "spec", "resources")} == expected, name
        return listed

    first = check_all()["conda-env-logos-py"]
    assert first["resources"] == {
        "logo-64x64": "/base/url/kernelspecs/conda-env-logos-py/logo-64x64.png"
    }
    folder = env / "share/jupyter/kernels/python3"
    (folder / "logo-svg.svg").write_text("<svg/>")
    (folder / "kernel.js").write_text("// extension")
    resources = check_all()["conda-env-logos-py"]["resources"]
    assert set(resources) == {"logo-64x64", "logo-svg", "kernel.js"}
    (folder / "kernel.js").unlink()
    assert "kernel.js" not in check_all()["conda-env-logos-py"]["resources"]


def test_a_change_to_one_env_rebuilds_that_env_and_keeps_the_others(tree):
    for i in range(3):
        fake_conda_env(tree["envs"] / f"keep{i}")
    changed = fake_conda_env(tree["envs"] / "changing")
    ksm = manager(tree)
    before = dict(ksm.env_kernels())

    spec_file = changed / "share/jupyter/kernels/python3/kernel.json"
    spec_file.write_text(json.dumps({**PYTHON_SPEC, "env": {"NEW": "1"}}))
    after = ksm.env_kernels()
    assert after["conda-env-changing-py"].spec["env"] == {"NEW": "1"}
    for i in range(3):
        assert after[f"conda-env-keep{i}-py"] is before[f"conda-env-keep{i}-py"]

    # A bare "python" in a venv whose python is missing still names the venv's own.
    bare = fake_venv(tree["venvs"] / "late")
    (bare / "bin" / "python").unlink()
    assert ksm.get_kernel_spec("venv-late-py").argv[0] == str(bare / "bin" / "python")


def test_plain_kernels_are_found_where_jupyter_client_looks(tree, tmp_path, monkeypatch):
    # Same folders as jupyter_client's default, IPython's legacy one included, without
    # importing IPython; a kernel in that legacy folder is listed.
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    assert manager(tree).kernel_dirs == KernelSpecManager().kernel_dirs
    legacy = tmp_path / "ipython" / "kernels" / "legacy"
    legacy.mkdir(parents=True)
    (legacy / "kernel.json").write_text(json.dumps(PYTHON_SPEC), encoding="utf-8")
    assert "legacy" in manager(tree).find_kernel_specs()
    monkeypatch.delenv("IPYTHONDIR")
    # (Where HOME cannot be written, IPython names a new temporary folder instead: no
    # kernels either way.)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert manager(tree).kernel_dirs == KernelSpecManager().kernel_dirs


def test_the_native_kernel_without_a_spec_file_is_listed_without_a_warning(tree, tmp_path, caplog):
    # No python3 kernel.json in any kernel folder: jupyter_client stands ipykernel's
    # resources folder (which holds only logos) in for it.
    import ipykernel.kernelspec

    listed = manager(tree, kernel_dirs=[str(tmp_path / "nothing")])
    with caplog.at_level("WARNING"):
        specs = listed.find_kernel_specs()
    assert specs["python3"] == ipykernel.kernelspec.RESOURCES
    assert not (Path(specs["python3"]) / "kernel.json").exists()
    assert caplog.messages == []
    assert listed.get_kernel_spec("python3").argv[:3] == [
        sys.executable,
        "-m",
        "ipykernel_launcher",
    ]
