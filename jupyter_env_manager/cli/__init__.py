"""`jupyter env-manager`: one module per group of subcommands, all over the core."""

from .main import main

__all__ = ["main"]
