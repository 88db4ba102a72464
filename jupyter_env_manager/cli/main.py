"""Entry point of `jupyter env-manager`.

argparse rather than a traitlets application: users expect conda's verbs and
flags (`-n NAME`, repeated `-c CHANNEL`, positional package specs), which
traitlets' `--Class.trait=value` syntax cannot express.

Each subcommand module exposes `register(subparsers)`, which adds its parser
and sets `handler` to a function `(args) -> exit code`.

Startup time is most of a quick command's cost (`list` is typed often), so only the
module of the command given is imported; help, no command or an unknown one load
them all (`COMMAND_MODULES` must name every command: tests check it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from .. import __version__
from ..core.errors import EnvManagerError

#: The subcommand modules, in help order.
SUBCOMMAND_MODULES = ["info", "listing", "envs", "kernel", "grid", "notebooks", "lifecycle"]
#: Command name -> the module that registers it.
COMMAND_MODULES = {
    "info": "info",
    "list": "listing",
    **{
        name: "envs"
        for name in (
            "create",
            "clone",
            "remove",
            "export",
            "packages",
            "install",
            "update",
            "uninstall",
            "search",
        )
    },
    "kernel": "kernel",
    "grid": "grid",
    "pin": "notebooks",
    "status": "notebooks",
    "reproduce": "notebooks",
    **{name: "lifecycle" for name in ("history", "rollback", "disk", "clean")},
}


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.{name}")


def _modules_for(argv: Sequence[str]) -> list[ModuleType]:
    """The one module the command in `argv` needs, or all of them."""
    words = [arg for arg in argv if not arg.startswith("-")]
    if words and words[0] in COMMAND_MODULES and not {"-h", "--help"} & set(argv[:1]):
        return [_module(COMMAND_MODULES[words[0]])]
    return [_module(name) for name in SUBCOMMAND_MODULES]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given `argv`, with only the subcommands it can need."""
    parser = argparse.ArgumentParser(
        prog="jupyter env-manager",
        description="Manage conda environments and virtualenvs for Jupyter.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--debug", action="store_true", help="Show a traceback when something unexpected fails."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = (
        _modules_for(argv) if argv is not None else [_module(name) for name in SUBCOMMAND_MODULES]
    )
    for module in modules:
        module.register(commands)
    return parser


#: Optional libraries jsonschema imports at start to check string formats ("iri",
#: "duration", "uri", "date-time", "color", "uri-template", "hostname").
#: `rfc3987_syntax` builds a Lark grammar at import: 1.3 s on a quiet core here,
#: several on a busy one, most of a grid's start; the others (arrow through
#: isoduration among them) another 35 ms. No command of this CLI validates such
#: formats (notebook schemas use none), so this process goes without those checks;
#: kernels and servers are other processes and keep them.
FORMAT_CHECKER_MODULES = (
    "rfc3987_syntax",
    "isoduration",
    "rfc3986_validator",
    "rfc3339_validator",
    "webcolors",
    "uri_template",
    "fqdn",
)


def _skip_format_checkers() -> None:
    for name in FORMAT_CHECKER_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _skip_format_checkers()
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except EnvManagerError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `jupyter env-manager search x | head`: the reader left; nothing to report.
        # Point stdout at nothing so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:
        if args.debug:
            raise
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        print("Run again with --debug for the traceback.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
