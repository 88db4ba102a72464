"""When a started kernel is ready for a run, and what it said about itself.

A kernel is ready once its shell answers and its iopub stream reaches the client.
`handshake` learns both from one kernel_info request (and, for a Python kernel, its
`sys.prefix` from a silent execute sent with it).

Kernels forked from one template are alike: same interpreter, same ipykernel, so the
same kernel_info. When the first of them announced our iopub subscription
(`iopub_welcome`, ipykernel 7), the next ones need no request at all: the welcome
proves iopub is connected, and the shell queues what the client sends until the
kernel reads it. `welcomed` waits for that announcement.
"""

from __future__ import annotations

import ast
import queue
import time
from dataclasses import dataclass
from typing import Any

_PREFIX_EXPRESSION = {"p": "__import__('sys').prefix"}
#: How long shell replies may stand without their iopub messages before the probe is
#: sent again: a SUB socket that connected late misses what was published before.
_IOPUB_GRACE = 0.05
#: Seconds without a shell reply before the probe is sent again.
_RESEND_AFTER = 1.0
#: Seconds between liveness checks while a welcome is awaited.
_ALIVE_EVERY = 0.5
#: Seconds a kernel that should welcome is given before the handshake is used after
#: all (it also serves a kernel slow to start, as under a CPU-bound grid).
WELCOME_WAIT = 1.0


@dataclass(frozen=True)
class Greeting:
    """What a kernel's handshake learnt."""

    #: The kernel_info reply (its content has the kernel's language_info).
    reply: dict[str, Any]
    #: `sys.prefix`, when asked (Python kernels that are not forked).
    prefix: str | None
    #: The kernel announced our iopub subscription (`iopub_welcome`).
    welcomed: bool

    @property
    def info(self) -> dict[str, Any]:
        return self.reply["content"]  # type: ignore[no-any-return]


def adopt(kc: Any, greeting: Greeting) -> None:
    """As `wait_for_ready` does: the client speaks the kernel's protocol version."""
    adapt = getattr(kc, "_handle_kernel_info_reply", None)
    if adapt is not None:
        adapt(greeting.reply)


async def handshake(kc: Any, km: Any, timeout: float, *, python: bool) -> Greeting:
    """The kernel's kernel_info reply (and `sys.prefix` for Python kernels) in one
    round trip.

    The kernel is ready once it answers on shell and its iopub stream carries the
    `idle` status of the same request (so iopub is connected and no message of the
    probe is still to come). jupyter_client's `wait_for_ready` learns the same, then
    listens to iopub for 0.2 s more; on a grid of short runs that wait was most of
    each kernel's start. Probes are sent again while nothing answers (as
    `wait_for_ready` does), and a kernel that died stops the wait."""
    deadline = time.monotonic() + timeout
    welcomed = False
    while True:
        if time.monotonic() >= deadline:
            raise TimeoutError("the kernel did not answer in time")
        answer, welcomed_now = await _probe(kc, deadline, python)
        welcomed = welcomed or welcomed_now
        if answer is not None:
            reply, prefix = answer
            greeting = Greeting(reply=reply, prefix=prefix, welcomed=welcomed)
            adopt(kc, greeting)
            return greeting
        if not await km.is_alive():
            raise RuntimeError("the kernel died before it answered")


async def welcomed(kc: Any, km: Any, timeout: float) -> bool:
    """Whether the kernel's `iopub_welcome` came within `timeout` seconds (False also
    when the kernel died first)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            message = await kc.get_iopub_msg(timeout=min(_ALIVE_EVERY, remaining))
        except queue.Empty:
            if not await km.is_alive():
                return False
            continue
        if message.get("msg_type") == "iopub_welcome":
            return True


async def _probe(
    kc: Any, deadline: float, python: bool
) -> tuple[tuple[dict[str, Any], str | None] | None, bool]:
    """((kernel_info reply, prefix) or None when it must be sent again, welcome seen)."""
    info_id = kc.kernel_info()
    probe_id = None
    if python:
        probe_id = kc.execute(
            "", silent=True, store_history=False, user_expressions=_PREFIX_EXPRESSION
        )
    last = probe_id or info_id
    waiting = {info_id} if probe_id is None else {info_id, probe_id}
    info: dict[str, Any] | None = None
    prefix: str | None = None
    welcome = False
    while waiting:
        remaining = min(_RESEND_AFTER, deadline - time.monotonic())
        if remaining <= 0:
            return None, welcome
        try:
            reply = await kc.get_shell_msg(timeout=remaining)
        except queue.Empty:
            return None, welcome
        parent = reply.get("parent_header", {}).get("msg_id")
        if parent == info_id:
            info = reply
        elif parent == probe_id:
            prefix = _prefix_of(reply)
        waiting.discard(parent)
    grace_ends = time.monotonic() + _IOPUB_GRACE
    while True:
        remaining = grace_ends - time.monotonic()
        if remaining <= 0:
            return None, welcome  # iopub missed this probe: send another
        try:
            message = await kc.get_iopub_msg(timeout=remaining)
        except queue.Empty:
            return None, welcome
        welcome = welcome or message.get("msg_type") == "iopub_welcome"
        if (
            message.get("parent_header", {}).get("msg_id") == last
            and message.get("msg_type") == "status"
            and message["content"].get("execution_state") == "idle"
        ):
            assert info is not None
            return (info, prefix), welcome


def _prefix_of(reply: dict[str, Any]) -> str | None:
    result = reply["content"].get("user_expressions", {}).get("p", {})
    if result.get("status") != "ok":
        return None
    try:
        return str(ast.literal_eval(result["data"]["text/plain"]))
    except (KeyError, ValueError, SyntaxError):
        return None
