"""Run code in a kernel over the server's kernel websocket (Jupyter's JSON protocol)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Execution:
    reply: dict[str, Any]
    stdout: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)


def request(code: str, session: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "test",
            "session": session,
            "date": "",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


async def send_execute(ws, code: str) -> str:
    msg = request(code, uuid.uuid4().hex)
    await ws.write_message(json.dumps(msg))
    return msg["header"]["msg_id"]


async def collect(ws, msg_id: str, *, timeout: float = 60) -> Execution:
    """Read messages until the execute_reply to `msg_id` and its idle status arrived."""
    result = Execution(reply={})
    idle = False

    async def read() -> None:
        nonlocal idle
        while not (result.reply and idle):
            raw = await ws.read_message()
            if raw is None:
                raise AssertionError("the kernel websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            result.messages.append(msg)
            kind = msg["header"]["msg_type"]
            if kind == "stream" and msg["content"]["name"] == "stdout":
                result.stdout += msg["content"]["text"]
            elif kind == "execute_reply":
                result.reply = msg["content"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True

    await asyncio.wait_for(read(), timeout)
    return result


async def execute(ws, code: str, *, timeout: float = 60) -> Execution:
    return await collect(ws, await send_execute(ws, code), timeout=timeout)


async def wait_busy(ws, msg_id: str, *, timeout: float = 30) -> None:
    async def read() -> None:
        while True:
            raw = await ws.read_message()
            assert raw is not None, "the kernel websocket closed"
            msg = json.loads(raw)
            if (
                msg.get("parent_header", {}).get("msg_id") == msg_id
                and msg["header"]["msg_type"] == "execute_input"
            ):
                return

    await asyncio.wait_for(read(), timeout)
