"""Live progress over /api/events/subscribe, and the API under concurrent load."""

from __future__ import annotations

import asyncio
import json

from jupyter_env_manager.events import TASK_EVENT_SCHEMA_ID


async def test_progress_events_arrive_over_the_websocket_during_a_create(api, jp_ws_fetch):
    socket = await jp_ws_fetch("api", "events", "subscribe")
    code, task = await api.call(
        "POST", "environments", body={"name": "watched", "packages": ["delta"]}
    )
    assert code == 202

    seen = []

    async def collect():
        while True:
            message = json.loads(await socket.read_message())
            if message.get("schema_id") != TASK_EVENT_SCHEMA_ID:
                continue
            data = message.get("data", message)
            if data["task_id"] != task["id"]:
                continue
            seen.append(data)
            if data["status"] in ("succeeded", "failed", "cancelled"):
                return

    await asyncio.wait_for(collect(), timeout=60)
    socket.close()

    statuses = [event["status"] for event in seen]
    assert statuses[-1] == "succeeded", seen[-1]
    assert "running" in statuses
    stages = {event["stage"] for event in seen if event["stage"]}
    assert {"solve", "link"} <= stages, stages
    assert all(event["environment"] == "watched" for event in seen)
    assert any(event["log_line"] for event in seen)


async def test_fifty_concurrent_lists_while_a_create_runs(api):
    await api.run("POST", "environments", body={"name": "existing", "packages": ["alpha"]})
    code, task = await api.call(
        "POST", "environments", body={"name": "growing", "packages": ["beta", "delta"]}
    )
    assert code == 202

    results = await asyncio.gather(*(api.call("GET", "environments") for _ in range(50)))
    assert [code for code, _ in results] == [200] * 50
    for _, envs in results:
        names = [env["name"] for env in envs]
        # A half-made environment is never listed: either absent or complete.
        assert "existing" in names
        assert set(names) <= {"existing", "growing"}

    assert (await api.wait(task["id"]))["status"] == "succeeded"
