"""What every handler of the extension shares: auth resource and JSON errors."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from ..core.errors import EnvManagerError
from ..core.manager import EnvManager
from ..tasks.runner import TaskRunner
from ..tasks.store import TaskRecord
from .validation import parse_json_object

#: The resource name authorizers see; lets deployments grant or deny the
#: whole extension separately from kernels, contents, etc.
AUTH_RESOURCE = "env_manager"


class EnvManagerHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def manager(self) -> EnvManager:
        return self.extensionapp.manager

    @property
    def tasks(self) -> TaskRunner:
        return self.extensionapp.tasks

    def json_body(self, allowed: set[str]) -> dict[str, Any]:
        return parse_json_object(self.request.body, allowed)

    def accepted(self, task: TaskRecord) -> None:
        """202 with the task, and where to follow it."""
        self.set_header(
            "Location",
            self.request.path.split("/env-manager/api/")[0] + f"/env-manager/api/tasks/{task.id}",
        )
        self.write_json(task.to_json(), status=202)

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
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
        self.finish(json.dumps(body))

    def log_exception(self, typ, value, tb):  # type: ignore[no-untyped-def]
        # User errors are expected; only unexpected ones deserve a traceback in the log.
        if isinstance(value, EnvManagerError) and value.status < 500:
            self.log.info("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        if isinstance(value, EnvManagerError) and value.status in (502, 507):
            # Not a bug here (a channel down, a full disk): the message says it all.
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
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
