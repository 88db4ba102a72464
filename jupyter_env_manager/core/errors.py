"""Errors a user can act on.

Every error carries the HTTP status the server answers with, so handlers never
have to guess (and never answer 500 for something the user typed).
"""

from __future__ import annotations

from typing import Any


class EnvManagerError(Exception):
    """Base class: a message meant for the user, plus machine-readable details."""

    status: int = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidRequest(EnvManagerError):
    status = 400


class NotFound(EnvManagerError):
    status = 404


class EnvironmentNotFound(NotFound):
    pass


class TaskNotFound(NotFound):
    pass


class PayloadTooLarge(EnvManagerError):
    status = 413


class EnvironmentExists(EnvManagerError):
    status = 409


class EnvironmentBusy(EnvManagerError):
    status = 409


class ProtectedEnvironment(EnvManagerError):
    """The base env and the server's own env must never be removed or broken."""

    status = 409


class ReadOnlyEnvironment(ProtectedEnvironment):
    """A shared environment this user may use but not change (a folder they cannot
    write, or one the deployment protects); `details` offers a clone instead."""

    status = 403


class Unsatisfiable(EnvManagerError):
    """The solver could not satisfy the specs; `message` holds its explanation."""

    status = 422


class PackagesNotFound(Unsatisfiable):
    """Some requested packages exist on none of the channels/indexes."""

    def __init__(self, names: list[str], *, where: str = ""):
        shown = ", ".join(sorted(names))
        suffix = f" on {where}" if where else ""
        super().__init__(
            f"Packages not found{suffix}: {shown}", details={"packages": sorted(names)}
        )
        self.names = sorted(names)


class ChannelNotFound(EnvManagerError):
    """A channel answered, but holds no conda channel at that name or URL: like an
    unknown package, the request is well-formed and cannot be carried out."""

    status = 422


class EngineUnavailable(EnvManagerError):
    """The engine asked for is not installed or not known."""

    status = 400


class EngineFailure(EnvManagerError):
    """A tool failed for a reason that is not the user's input (I/O, crash)."""

    status = 500


class ChannelUnreachable(EngineFailure):
    """A channel or index could not be reached (DNS, refused connection, timeout, 5xx).

    502 Bad Gateway: the request was fine and nothing here crashed; a server this one
    depends on did not answer. Clients can tell it from a 500 and offer a retry.
    """

    status = 502


class DiskFull(EngineFailure):
    """The disk an environment is written to ran out of space (507 Insufficient Storage)."""

    status = 507


#: How the engines say ENOSPC: rattler and uv ("os error 28"), Python tools ("Errno 28").
_DISK_FULL_WORDS = ("No space left on device", "os error 28", "Errno 28", "Disk quota exceeded")


def is_disk_full(error: BaseException) -> bool:
    """True when `error`, or what caused it, is a full disk or an exhausted quota."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (28, 122):  # ENOSPC, EDQUOT
            return True
        if any(word in str(seen) for word in _DISK_FULL_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
