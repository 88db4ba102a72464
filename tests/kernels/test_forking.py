"""Kernels forked from a template process (what the grid kernel pool starts).

A forked kernel must be indistinguishable, for the code it runs, from a kernel
launched the ordinary way in the same environment: same interpreter, sys.path,
working directory and activated variables; fresh state and fresh random seeds;
interrupt, shutdown and the death of its owner behave as for any kernel.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from jupyter_env_manager.grid.kernel_pool import KernelPool, PooledKernel, shell_reply
from jupyter_env_manager.kernels import templates
from jupyter_env_manager.kernels.forking import PROVISIONER_NAME, forking_spec, split_kernel_command
from jupyter_env_manager.kernels.spec_manager import EnvKernelSpecManager

from .conftest import KernelDirs, alive, make_venv

pytestmark = pytest.mark.usefixtures("clean_kernel_environ")

# What user code can observe about where it runs.
PROBE = {
    "executable": "__import__('sys').executable",
    "prefix": "__import__('sys').prefix",
    "path": "__import__('sys').path",
    "cwd": "__import__('os').getcwd()",
    "environ": "{k: v for k, v in __import__('os').environ.items() if k != 'JPY_PARENT_PID'}",
    "name": "__name__",
    "ppid": "__import__('os').getppid()",
    # The IPython shell (the template may build it ahead): its directories, kernel,
    # streams and namespaces.
    "dh": "[str(p) for p in _dh]",
    "starting_dir": "get_ipython().starting_dir",
    "shell_links": "(get_ipython().kernel.shell is get_ipython(), get_ipython().parent is "
    "get_ipython().kernel, get_ipython().display_pub.session is get_ipython().kernel.session)",
    "streams": "[type(s).__name__ for s in (__import__('sys').stdout, __import__('sys').stderr, "
    "get_ipython()._orig_sys_module_state['stdout'], "
    "get_ipython()._orig_sys_module_state['stderr'])]",
    "main": "__import__('sys').modules['__main__'] is get_ipython().user_module",
    "encoding": "get_ipython().stdin_encoding",
    "hidden": "sorted(get_ipython().user_ns_hidden)",
    "magics": "sorted(get_ipython().magics_manager.magics['line'])",
    # The template hides debugpy from ipykernel's debugger only, never from user code.
    "debugpy": "__import__('debugpy').__name__",
}


async def evaluate(kernel: PooledKernel, code: str, expressions: dict[str, str]) -> dict[str, Any]:
    msg_id = kernel.kc.execute(code, user_expressions=expressions)
    reply = await shell_reply(kernel.kc, msg_id, 60)
    content = reply["content"]
    assert content["status"] == "ok", content
    values = {}
    for name, result in content["user_expressions"].items():
        assert result["status"] == "ok", result
        values[name] = ast.literal_eval(result["data"]["text/plain"])
    return values


def conda_kernel_name(dirs: KernelDirs) -> str:
    names = EnvKernelSpecManager(**dirs.spec_manager_config()).find_kernel_specs()
    return next(name for name in names if "kconda" in name)


def make_pool(dirs: KernelDirs) -> KernelPool:
    return KernelPool(lambda: EnvKernelSpecManager(**dirs.spec_manager_config()), prefetch=False)


async def test_forked_kernel_sees_what_a_launched_kernel_sees(
    kernel_dirs: KernelDirs, conda_env, tmp_path: Path
) -> None:
    (tmp_path / "helper_module.py").write_text("VALUE = 41\n")
    name = conda_kernel_name(kernel_dirs)
    pool = make_pool(kernel_dirs)
    launched = await pool.acquire(name, str(tmp_path), fork=False)
    forked = await pool.acquire(name, str(tmp_path))
    try:
        seen_launched, seen_forked = [
            await evaluate(
                kernel, "import helper_module", {**PROBE, "helper": "helper_module.VALUE + 1"}
            )
            for kernel in (launched, forked)
        ]
    finally:
        pool.release(launched)
        pool.release(forked)
        await pool.close()
    # The forked kernel really is a template's child, not a process we launched.
    assert seen_launched["ppid"] == os.getpid()
    assert seen_forked["ppid"] not in (os.getpid(), forked.pid)
    for key in set(PROBE) - {"ppid"}:
        assert seen_forked[key] == seen_launched[key], key
    assert seen_forked["dh"] == [str(tmp_path)] and seen_forked["starting_dir"] == str(tmp_path)
    assert seen_forked["shell_links"] == (True, True, True)
    assert seen_forked["streams"] == ["OutStream"] * 4
    assert seen_forked["prefix"] == str(conda_env.prefix)
    assert seen_forked["cwd"] == str(tmp_path)
    # Activation ran: the conda variables and the env's activate.d script.
    assert seen_forked["environ"]["CONDA_PREFIX"] == str(conda_env.prefix)
    assert seen_forked["environ"]["ACTIVATOR_TEST_HOME"] == f"{conda_env.prefix}/share/activator"
    assert seen_forked["helper"] == 42  # the notebook's folder is importable
    # The one difference: no debugger for the pool's client, which never debugs.
    features = {k: kernel.info.get("supported_features", []) for k, kernel in
                {"launched": launched, "forked": forked}.items()}  # fmt: skip
    assert "debugger" in features["launched"] and "debugger" not in features["forked"]


async def test_forked_kernels_start_fresh(kernel_dirs: KernelDirs, conda_env, tmp_path) -> None:
    pool = make_pool(kernel_dirs)
    name = conda_kernel_name(kernel_dirs)
    first = await pool.acquire(name, str(tmp_path))
    second = await pool.acquire(name, str(tmp_path))
    try:
        one = await evaluate(first, "import random\nsecret = 7", {"r": "random.random()"})
        two = await evaluate(
            second,
            "import random",
            {
                "r": "random.random()",
                "has_secret": "'secret' in globals()",
                "ppid": "__import__('os').getppid()",
            },
        )
        parent = await evaluate(first, "", {"ppid": "__import__('os').getppid()"})
    finally:
        pool.release(first)
        pool.release(second)
        await pool.close()
    assert first.pid != second.pid
    assert parent["ppid"] == two["ppid"]  # both forked from the same template
    assert two["has_secret"] is False
    assert one["r"] != two["r"]  # the random module was reseeded in each child


async def test_forked_kernels_run_only_the_threads_the_pool_uses(
    kernel_dirs: KernelDirs, conda_env, tmp_path: Path
) -> None:
    """No heartbeat and no shell channel thread (subshells) in a forked kernel, while
    it still executes, answers kernel_info and runs what a launched kernel runs."""
    name = conda_kernel_name(kernel_dirs)
    pool = make_pool(kernel_dirs)
    launched = await pool.acquire(name, str(tmp_path), fork=False)
    forked = await pool.acquire(name, str(tmp_path))
    threads = "sorted(type(t).__name__ for t in __import__('threading').enumerate())"
    try:
        seen = [
            await evaluate(k, "y = 2 * 21", {"threads": threads, "y": "y"})
            for k in (launched, forked)
        ]
        features = []
        for kernel in (launched, forked):
            reply = await shell_reply(kernel.kc, kernel.kc.kernel_info(), 60)
            assert reply["content"]["status"] == "ok"
            features.append(reply["content"].get("supported_features", []))
    finally:
        pool.release(launched)
        pool.release(forked)
        await pool.close()
    launched_threads, forked_threads = (s["threads"] for s in seen)
    assert seen[1]["y"] == 42
    assert "kernel subshells" in features[0]
    assert set(launched_threads) - set(forked_threads) == {"Heartbeat", "ShellChannelThread"}
    assert set(forked_threads) <= set(launched_threads)
    assert "kernel subshells" not in features[1]


async def test_interrupt_and_shutdown_reach_the_forked_kernel(
    kernel_dirs: KernelDirs, conda_env, tmp_path
) -> None:
    pool = make_pool(kernel_dirs)
    kernel = await pool.acquire(conda_kernel_name(kernel_dirs), str(tmp_path))
    try:
        msg_id = kernel.kc.execute("import time\ntime.sleep(60)")
        await asyncio.sleep(1.0)
        await kernel.km.interrupt_kernel()
        reply = await shell_reply(kernel.kc, msg_id, 30)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert await kernel.km.is_alive()
        kernel.kc.stop_channels()
        await kernel.km.shutdown_kernel(now=True)
        assert not await kernel.km.is_alive()
        assert kernel.pid is not None
        # The template reaps it as it ends (no zombie is left for a later request).
        deadline = time.monotonic() + 30
        while alive(kernel.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        with pytest.raises(ProcessLookupError):
            os.kill(kernel.pid, 0)
    finally:
        await pool.close()


async def test_kernels_exit_when_their_template_ends(
    kernel_dirs: KernelDirs, conda_env, tmp_path
) -> None:
    """A worker that dies takes its template along; the template's kernels follow."""
    pool = make_pool(kernel_dirs)
    kernel = await pool.acquire(conda_kernel_name(kernel_dirs), str(tmp_path))
    assert kernel.pid is not None
    await asyncio.to_thread(templates.close_templates)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(kernel.pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the kernel outlived its template")
    kernel.kc.stop_channels()
    await pool.close()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            (["python"], ["-f", "{connection_file}"]),
        ),
        (
            ["/env/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel", "-f", "c.json"],
            (["/env/bin/python", "-Xfrozen_modules=off"], ["-f", "c.json"]),
        ),
        (
            ["python", "-X", "frozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"],
            (["python", "-X", "frozen_modules=off"], ["-f", "c.json"]),
        ),
        (["python", "-m", "some_other_kernel", "-f", "c.json"], None),
        (["python", "script.py", "-m", "ipykernel_launcher"], None),
        (["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"], None),
    ],
)
def test_which_commands_are_forked(argv: list[str], expected) -> None:
    assert split_kernel_command(argv) == expected


def test_specs_with_a_foreign_provisioner_are_left_alone() -> None:
    argv = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    plain = KernelSpec(argv=argv, display_name="Py", language="python")
    env_spec = KernelSpec(
        argv=argv,
        display_name="Py",
        language="python",
        metadata={
            "kernel_provisioner": {
                "provisioner_name": "jupyter-env-manager",
                "config": {"env_prefix": "/envs/a"},
            }
        },
    )
    foreign = KernelSpec(
        argv=argv,
        display_name="Py",
        language="python",
        metadata={"kernel_provisioner": {"provisioner_name": "docker-provisioner"}},
    )
    assert forking_spec(plain).metadata["kernel_provisioner"] == {
        "provisioner_name": PROVISIONER_NAME,
        "config": {},
    }
    assert forking_spec(env_spec).metadata["kernel_provisioner"] == {
        "provisioner_name": PROVISIONER_NAME,
        "config": {"env_prefix": "/envs/a"},
    }
    assert forking_spec(foreign) is foreign
    assert json.loads(json.dumps(forking_spec(plain).to_dict()))["argv"] == argv


def plain_kernelspec(data: Path, name: str, python: str, *extra: str) -> None:
    """A kernelspec `name` under `data` (put on JUPYTER_PATH) launching `python`."""
    spec_dir = data / "kernels" / name
    spec_dir.mkdir(parents=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}", *extra]
    spec = {"argv": argv, "display_name": name, "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))


@pytest.mark.parametrize("ipykernel", ["7 (this venv's)", "6.29.5"])
async def test_forked_kernels_follow_the_kernel_config_files(
    kernel_dirs: KernelDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ipykernel: str
) -> None:
    """The template loads the profile's config once for all its kernels (ipykernel 6
    and 7): each kernel behaves as that config says, as a launched kernel does."""
    python = sys.executable
    if not ipykernel.startswith("7"):
        make_venv(tmp_path / "old", ipykernel=True, requirement=f"ipykernel=={ipykernel}")
        python = str(tmp_path / "old" / "bin" / "python")
    ran = tmp_path / "config-ran-in"
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        'c.InteractiveShell.ast_node_interactivity = "all"\n'
        'c.IPKernelApp.exec_lines = ["configured = 42"]\n'
        f"open({str(ran)!r}, 'a').write(str(__import__('os').getpid()) + chr(10))\n"
    )
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    plain_kernelspec(tmp_path / "data", "configured", python)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "data"))
    pool = make_pool(kernel_dirs)
    launched = await pool.acquire("configured", str(tmp_path), fork=False)
    forked = [await pool.acquire("configured", str(tmp_path)) for _ in range(2)]
    expressions = {
        "mode": "get_ipython().ast_node_interactivity",
        "configured": "configured",
        "version": "__import__('ipykernel').__version__",
    }
    try:
        seen = [await evaluate(kernel, "", expressions) for kernel in (launched, *forked)]
        # The template ran the config file once for both forked kernels (neither of
        # which is a process of ours), after the launched kernel ran it itself.
        pids = ran.read_text().split()
        # An edited config file reaches the next kernel, as it would a launched one.
        config = profile / "ipython_kernel_config.py"
        config.write_text(config.read_text().replace("42", "43"))
        after_edit = await pool.acquire("configured", str(tmp_path))
        edited = await evaluate(after_edit, "", {"configured": "configured"})
        pool.release(after_edit)
        # The kernels of the replaced template are still running and usable.
        still = await evaluate(forked[0], "", {"configured": "configured"})
    finally:
        for kernel in (launched, *forked):
            pool.release(kernel)
        await pool.close()
    assert {s["version"].split(".")[0] for s in seen} == {ipykernel[0]}
    for values in seen:
        assert values["mode"] == "all"
        assert values["configured"] == 42
    assert pids[0] == str(launched.pid)
    assert len(pids) == 2
    assert pids[1] not in {str(kernel.pid) for kernel in forked}
    assert edited["configured"] == 43
    assert still["configured"] == 42


async def test_kernel_options_on_the_command_line_reach_a_forked_kernel(
    kernel_dirs: KernelDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spec whose argv carries options beyond `-f <file>` (which the template cannot
    have loaded ahead) is still forked, and the options apply."""
    plain_kernelspec(
        tmp_path / "data", "with-options", sys.executable, "--IPKernelApp.exec_lines=from_cli = 7"
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "data"))
    pool = make_pool(kernel_dirs)
    kernel = await pool.acquire("with-options", str(tmp_path))
    try:
        seen = await evaluate(
            kernel, "", {"value": "from_cli", "ppid": "__import__('os').getppid()"}
        )
    finally:
        pool.release(kernel)
        await pool.close()
    assert seen["value"] == 7
    assert seen["ppid"] not in (os.getpid(), kernel.pid)


@pytest.mark.parametrize("argv_extra", [(), ("--IPKernelApp.exec_lines=x = 1",)])
async def test_forked_kernels_leave_the_ipython_history_alone(
    kernel_dirs: KernelDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv_extra
) -> None:
    """Grid kernels write no session into the profile's history database (through the
    template's loaded config, through a command line it could not load ahead, and
    launched without a template), while the run's own input history works; a kernel
    of the same spec started outside a grid still records."""
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    plain_kernelspec(tmp_path / "data", "plain", sys.executable, *argv_extra)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "data"))
    history = ipython_dir / "profile_default" / "history.sqlite"
    pool = make_pool(kernel_dirs)
    forked = [await pool.acquire("plain", str(tmp_path)) for _ in range(2)]
    try:
        seen = [
            await evaluate(kernel, "a = 1\nb = 2", {"inputs": "In[-1]", "n": "len(In)"})
            for kernel in forked
        ]
        launched = await pool.acquire("plain", str(tmp_path), fork=False)
        seen.append(await evaluate(launched, "a = 1\nb = 2", {"inputs": "In[-1]", "n": "len(In)"}))
        pool.release(launched)
    finally:
        for kernel in forked:
            pool.release(kernel)
        await pool.close()
    assert all(s["inputs"] == "a = 1\nb = 2" and s["n"] >= 2 for s in seen)
    assert not history.exists()
    # The same kernel as a user's notebook starts it.
    km = AsyncKernelManager(kernel_name="plain")
    await km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        await kc.execute_interactive("a = 1", timeout=60)
        kc.stop_channels()
    finally:
        await km.shutdown_kernel(now=True)
    assert history.exists()


async def test_a_forked_kernel_that_dies_is_seen_dead(
    kernel_dirs: KernelDirs, conda_env, tmp_path: Path
) -> None:
    pool = make_pool(kernel_dirs)
    kernel = await pool.acquire(conda_kernel_name(kernel_dirs), str(tmp_path))
    try:
        assert await kernel.km.is_alive()
        kernel.kc.execute("import os\nos._exit(3)")
        deadline = time.monotonic() + 30
        while await kernel.km.is_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not await kernel.km.is_alive()
        assert kernel.km.provisioner.process.returncode == 3
        # The prefix came from the template, not from asking the kernel.
        assert kernel.prefix == str(conda_env.prefix)
    finally:
        kernel.kc.stop_channels()
        await pool.close()


async def test_only_a_templates_first_kernel_is_asked_for_its_kernel_info(
    kernel_dirs: KernelDirs, conda_env, tmp_path: Path, monkeypatch
) -> None:
    """The template's later kernels are ready once they welcome the client's iopub
    subscription; they answer kernel_info as the first did, so nobody asks them."""
    from jupyter_client.asynchronous.client import AsyncKernelClient

    asked = []
    kernel_info = AsyncKernelClient.kernel_info

    def counted(self: Any) -> str:
        asked.append(self)
        return kernel_info(self)

    monkeypatch.setattr(AsyncKernelClient, "kernel_info", counted)
    pool = make_pool(kernel_dirs)
    name = conda_kernel_name(kernel_dirs)
    kernels = [await pool.acquire(name, str(tmp_path)) for _ in range(3)]
    try:
        answers = [await evaluate(k, "import sys", {"v": "sys.version"}) for k in kernels]
        # Every kernel has its iopub stream: a cell's output reaches the client.
        for kernel in kernels:
            kernel.kc.execute("print('hello from', __import__('os').getpid())")
        printed = []
        for kernel in kernels:
            while True:
                message = await kernel.kc.get_iopub_msg(timeout=30)
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])
                    break
    finally:
        for kernel in kernels:
            pool.release(kernel)
        await pool.close()
    assert asked == [kernels[0].kc]  # the first kernel only
    assert len({k.pid for k in kernels}) == 3
    assert all(k.info == kernels[0].info for k in kernels)
    assert kernels[0].info["language_info"]["name"] == "python"
    assert len({a["v"] for a in answers}) == 1
    assert printed == [f"hello from {k.pid}\n" for k in kernels]
