"""Errors of grid searches, as `EnvManagerError`s so the server answers the right status."""

from __future__ import annotations

from ..core.errors import EnvManagerError, InvalidRequest, NotFound


class InvalidGrid(InvalidRequest):
    """The grid, its parameters or its options are wrong; nothing was run."""


class NotebookError(InvalidRequest):
    """The notebook cannot be used for a grid search (unreadable, no parameters cell)."""


class KernelNotFound(NotFound):
    """No kernelspec of that name is known to the local KernelSpecManager."""


class GridNotFound(NotFound):
    """No grid of that id (or no grid state in that output directory)."""


class FingerprintMismatch(EnvManagerError):
    """A worker's environment is not the one the grid was planned with."""

    status = 409
