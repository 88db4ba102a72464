"""What every handler of the extension shares: auth resource and JSON errors."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from ..core.errors import EnvManagerError

#: The resource name authorizers see; lets deployments grant or deny the
#: whole extension separately from kernels, contents, etc.
AUTH_RESOURCE = "env_manager"


class EnvManagerHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = AUTH_RESOURCE

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer every error as `{"error", "message"}` and never with a traceback."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, EnvManagerError):
            body = error.to_json()
        else:
            reason = getattr(error, "log_message", None) or self._reason
            body = {"error": HTTPStatus(status_code).phrase, "message": reason}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb):  # type: ignore[no-untyped-def]
        # User errors are expected; only unexpected ones deserve a traceback in the log.
        if isinstance(value, EnvManagerError) and value.status < 500:
            self.log.info("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, EnvManagerError):
            if self._finished:
                return
            self.log_exception(type(e), e, e.__traceback__)
            self.send_error(e.status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)
