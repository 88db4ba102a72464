"""Kernel template: an ipykernel process that has imported everything and forks kernels.

Runs inside the kernel's environment with that environment's interpreter, as
`python [interpreter options] -c <this file's text>`, so it may use only the
standard library and ipykernel (never this package) and must stay valid on old
Pythons. `-c` rather than a script path keeps this package's folder off the
kernels' `sys.path`.

Why: a kernel start spends most of its CPU importing ipykernel, IPython, zmq and
tornado. The template imports them once; each kernel is then a
`fork()` of it that only runs `IPKernelApp` (sockets, shell, history), so it is
ready in a fraction of the time. No user code ever runs in the template, so every
forked kernel starts with the state a freshly launched one has. The template
refuses to fork when an import left a thread running (forking a threaded process
is unsafe); the caller then launches kernels the ordinary way.

The template also does, once, what every kernel would do alike before its first
message: it loads the kernel application's configuration (profile, config files)
when the kernel command line is the usual `-f <connection file>` and ipykernel is a
version whose `initialize()` it knows (6 and 7); on ipykernel 7 with the stock
kernel and shell classes it also builds the IPython shell (`_build_shell`), which
each kernel adopts with its own kernel object, working directory and streams
(`_adopt_shell`); and it fills the caches a first cell fills (tokenize's regular
expressions). A kernel then only binds its sockets, starts its threads and builds
its kernel object. Config files therefore run in the template,
with the template's working directory (the home folder), not the notebook's. The
ready message lists the config files it read or looked for, with their modification
times, so the owner replaces a template whose configuration changed.

Forked kernels have no debugger: while the template imports, ipykernel's debugger
finds no debugpy (whose imports were a fifth of the template's boot), so their
kernel_info lists no debugger. Their only client, the grid pool's, never debugs.
Their code still imports debugpy, and finds `PYDEVD_USE_FRAME_EVAL` set as importing
it sets it in a launched kernel.

Forked kernels keep no IPython history on disk (`HistoryManager.enabled = False`;
`In`, `_ih` and `%history` of the run itself still work): each kernel otherwise opens
the profile's history.sqlite and commits a session row, which was a fifth of a
forked kernel's start, serialized the kernels of a grid on the database's lock, and
left one session per grid point in the user's history.

Forked kernels serve a grid's runs only, through the pool's client, which never
checks a heartbeat (liveness is the process's) and never asks for a subshell: a
configured start binds no heartbeat socket and starts no heartbeat thread (nor its ZMQ
context's threads), and starts no shell channel thread (ipykernel 7 then handles shell
messages in the main thread and does not offer subshells). Kernels keep
the template's environment, which is the one their owner asked for (a template's key
includes it), and the template reaps each kernel as it ends (on SIGCHLD), so no
zombie waits for a next request.

Protocol: one JSON object per line. At start the template writes
`{"ready": true, "pid": N, "prefix": sys.prefix, "config_stamps": {path: mtime_ns or
null}, "forkable": bool, "reason": str}`.
Requests on stdin:

- `{"op": "fork", "argv": [...], "cwd": str, "env": {...}}` -> `{"pid": N}`; without
  "env" the kernel keeps the template's environment (the one it was started with)
- `{"op": "poll", "pid": N}` -> `{"returncode": int or null}`

End of stdin (its owner exited) ends the template; its kernels then see their
parent change and exit (ipykernel's parent poller, `JPY_PARENT_PID`).
"""

import json
import os
import signal
import sys
import threading

NO_HISTORY = "--HistoryManager.enabled=False"
#: Exit codes of ended kernels kept until asked for (the oldest are forgotten first).
EXIT_CODES_KEPT = 1024

# The modules an ipykernel start imports beyond `ipykernel.kernelapp` (IPython's
# shell, the debugger, history's sqlite3), measured on ipykernel 7;
# the last ones are what a forked kernel still imported (a quarter of its start).
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.completer",
    "IPython.core.history",
    "sqlite3",
    "pdb",
    "psutil",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "faulthandler",
    "tornado.platform.asyncio",
)


def _reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _exit_code(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _reap(exited):
    """Record the exit codes of every ended kernel."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = _exit_code(status)
        if len(exited) > EXIT_CODES_KEPT:  # killed kernels' codes are never asked for
            del exited[next(iter(exited))]


def _run_kernel(module, request, set_by_imports, configured, shell_built):
    """In the forked child: become the kernel that `python -m module argv...` would be."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    os.chdir(request["cwd"])
    if "env" in request:
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.update(set_by_imports)
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    argv = list(request["argv"])
    sys.argv = [module.__file__] + argv
    code = 0
    try:
        if configured is not None and len(argv) == 2 and argv[0] == "-f":
            _start_configured(configured, argv, shell_built)
        else:
            if shell_built:
                from ipykernel.zmqshell import ZMQInteractiveShell

                ZMQInteractiveShell.clear_instance()  # built for the configured start
            # The trait's default read JPY_PARENT_PID when the template imported
            # kernelapp, before there was a parent to watch: pass it explicitly.
            module.IPKernelApp.launch_instance(argv=[*argv, NO_HISTORY], parent_handle=os.getppid())
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:  # noqa: BLE001 - nothing may escape into the template's loop
        code = 1
    os._exit(code)


def _configure(module):
    """The kernel application with its configuration loaded (what
    `BaseIPythonApplication.initialize` does for `-f <file>`, bar the file), or None
    when this ipykernel is not one whose `initialize()` begins with exactly that."""
    import ipykernel
    from IPython.core.application import BaseIPythonApplication

    if tuple(getattr(ipykernel, "version_info", ()))[:1] not in ((6,), (7,)):
        return None
    real_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # our stdout is the protocol's
    try:
        app = module.IPKernelApp.instance()
        BaseIPythonApplication.initialize(app, [])
    except BaseException:  # noqa: BLE001 - a config error: let each kernel report it
        module.IPKernelApp.clear_instance()
        return None
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    # Older IPythons also read config files from the working directory, which here is
    # not the kernel's.
    if app.subapp is not None or os.getcwd() in map(os.path.abspath, app.config_file_paths):
        module.IPKernelApp.clear_instance()
        return None
    app.config.HistoryManager.enabled = False  # as NO_HISTORY does on a command line
    return app


def _build_shell(app):
    """The kernel's IPython shell, built ahead (True), when the configuration asks for
    nothing that building it inside the kernel could give differently: the stock
    kernel, shell and compiler classes, no user namespace, no configuration nested
    under the kernel's classes. `IPythonKernel` takes the shell singleton as it finds
    it; `_adopt_shell` then gives it what only the kernel knows."""
    import ipykernel
    from ipykernel.compiler import XCachingCompiler
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.zmqshell import ZMQInteractiveShell
    from traitlets.config import Config

    if tuple(getattr(ipykernel, "version_info", ()))[:1] != (7,):
        return False
    if app.kernel_class is not IPythonKernel or app.user_ns is not None:
        return False
    traits = IPythonKernel.class_traits()
    if (
        traits["shell_class"].default_value is not ZMQInteractiveShell
        or traits["compiler_class"].default_value is not XCachingCompiler
    ):
        return False
    for section in ("IPythonKernel", "Kernel"):
        settings = app.config.get(section, {})
        if "shell_class" in settings or "compiler_class" in settings:
            return False
        if any(isinstance(value, Config) for value in settings.values()):
            return False
    streams = sys.stdin, sys.stdout, sys.stderr
    # Our stdin and stdout are the protocol's: the shell must not keep them.
    sys.stdin = sys.stdout = sys.stderr = open(os.devnull, "r+")
    try:
        ZMQInteractiveShell.instance(
            parent=app,
            profile_dir=app.profile_dir,
            user_module=None,
            user_ns=None,
            kernel=None,
            compiler_class=XCachingCompiler,
        )
    except BaseException:  # noqa: BLE001 - each kernel then builds its own
        ZMQInteractiveShell.clear_instance()
        return False
    finally:
        sys.stdin.close()
        sys.stdin, sys.stdout, sys.stderr = streams
    return True


def _adopt_shell(app):
    """In the kernel, before `init_shell`: the pre-built shell learns its kernel and
    the kernel's working directory and streams, as if the kernel had built it."""
    from pathlib import Path

    shell = app.kernel.shell
    shell.kernel = app.kernel
    shell.parent = app.kernel
    shell.starting_dir = os.getcwd()
    shell.history_manager.dir_hist[:] = [Path.cwd()]
    shell._orig_sys_module_state.update(
        stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr, excepthook=sys.excepthook
    )
    shell.init_encoding()


def _start_configured(app, argv, shell_built):
    """`launch_instance()` for the configured app: the rest of `initialize()`, then start."""
    from IPython.core.application import BaseIPythonApplication

    app.argv = argv
    app.connection_file = argv[1]
    app.parent_handle = os.getppid()
    if shell_built:
        init_shell = app.init_shell

        def adopt_then_init_shell():
            _adopt_shell(app)
            init_shell()

        app.init_shell = adopt_then_init_shell
    # The pool's client never checks the heartbeat (liveness is the process's), and no
    # other client knows a forked kernel: its own ZMQ context, two I/O threads and a
    # thread of its own would serve nobody.
    app.init_heartbeat = lambda: None
    # Nor does that client ask for subshells (ipykernel 7): without the shell channel
    # thread, shell messages go straight to the main thread's loop, which saves the
    # thread's start (about 3 ms of CPU per kernel, measured) and a hop per message.
    init_kernel = app.init_kernel

    def init_kernel_without_subshells():
        thread = getattr(app, "shell_channel_thread", None)
        if thread is not None:
            app.shell_channel_thread = None
            thread.io_loop.close()
        init_kernel()

    app.init_kernel = init_kernel_without_subshells
    loaded = BaseIPythonApplication.initialize
    BaseIPythonApplication.initialize = lambda self, argv=None: None
    try:
        app.initialize(argv)
    finally:
        BaseIPythonApplication.initialize = loaded
    app.start()


def _config_stamps(app):
    """Modification times of every file the config load read or would have read (the
    base and kernel config names, .py and .json, in each folder searched); None for a
    file that does not exist. Files, not folders: kernels write history into the
    profile folder."""
    if app is None:
        return {}
    names = {"ipython_config", os.path.splitext(app.config_file_name)[0]}
    paths = [
        os.path.join(folder, name + suffix)
        for folder in app.config_file_paths
        for name in sorted(names)
        for suffix in (".py", ".json")
    ]
    stamps = {}
    for path in [*paths, *app.loaded_config_files]:
        try:
            stamps[path] = os.stat(path).st_mtime_ns
        except OSError:
            stamps[path] = None
    return stamps


def _warm_caches():
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        TransformerManager().transform_cell("x = 1\n")
        # A kernel reading its connection file asks for the machine's addresses
        # (psutil, once per process), even when the file names the address.
        from jupyter_client.localinterfaces import localhost

        localhost()
    except Exception:  # noqa: BLE001 - only a head start; kernels work without it
        pass


def main():
    # As ipykernel_launcher does: imports must not resolve against the cwd.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    import importlib.util

    environ_before = dict(os.environ)
    reason = ""
    module = None
    # ipykernel's debugger sees no debugpy, so the template skips its imports; the
    # kernels' code can still import debugpy (the block ends with the preload). One
    # imported already (a .pth file, say) stays.
    hide_debugpy = "debugpy" not in sys.modules
    if hide_debugpy:
        sys.modules["debugpy"] = None
    try:
        for name in PRELOAD:
            try:
                loaded = importlib.import_module(name)
            except ImportError:
                continue
            if name == "ipykernel.kernelapp":
                module = loaded
    finally:
        if hide_debugpy and sys.modules.get("debugpy", False) is None:
            del sys.modules["debugpy"]
    if importlib.util.find_spec("debugpy") is not None:
        # What importing debugpy sets, and so what a launched kernel's code sees.
        os.environ.setdefault("PYDEVD_USE_FRAME_EVAL", "NO")
    configured = None
    shell_built = False
    if module is not None:
        configured = _configure(module)
        if configured is not None:
            shell_built = _build_shell(configured)
        _warm_caches()
    if module is None:
        reason = "ipykernel is not importable"
    elif threading.active_count() > 1:
        reason = "an import or a config file started a thread"
    # Variables the imports set (ipykernel sets PYDEVD_USE_FRAME_EVAL), as a
    # launched kernel would have them.
    set_by_imports = {k: v for k, v in os.environ.items() if environ_before.get(k) != v}
    _reply(
        {
            "ready": True,
            "pid": os.getpid(),
            "prefix": sys.prefix,
            "config_stamps": _config_stamps(configured),
            "forkable": not reason,
            "reason": reason,
        }
    )
    exited = {}
    # Kernels are reaped as they end, not at the next request: their owner learns of a
    # killed kernel's end without asking, and no request may ever come.
    signal.signal(signal.SIGCHLD, lambda signum, frame: _reap(exited))
    for line in sys.stdin:
        request = json.loads(line)
        _reap(exited)
        if request.get("op") == "poll":
            _reply({"returncode": exited.pop(request["pid"], None)})
            continue
        if reason:
            _reply({"error": reason})
            continue
        try:
            pid = os.fork()
        except OSError as error:
            _reply({"error": f"fork failed: {error}"})
            continue
        if pid == 0:
            try:
                _run_kernel(module, request, set_by_imports, configured, shell_built)
            finally:
                os._exit(1)
        _reply({"pid": pid})


main()
