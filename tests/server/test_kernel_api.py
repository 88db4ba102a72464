"""POST/DELETE environments/{name}/kernel against a real server.

Installing ipykernel comes from the real PyPI (reachable on developer and CI
machines); everything else is local.
"""

from __future__ import annotations

import json
from pathlib import Path


async def test_add_kernel_registers_a_real_spec_and_delete_removes_it(api, jp_fetch, jp_data_dir):
    task = await api.run(
        "POST", "environments", body={"name": "nokernel", "pip": ["tiny-pkg"], "engine": "uv"}
    )
    assert task["status"] == "succeeded", task
    assert task["result"]["has_ipykernel"] is False

    task = await api.run("POST", "environments", "nokernel", "kernel")
    assert task["status"] == "succeeded", task
    names = task["result"]["kernels"]
    assert names == ["venv-nokernel-py"]

    code, env = await api.call("GET", "environments", "nokernel")
    assert env["has_ipykernel"] is True
    specs = json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert "venv-nokernel-py" in specs
    written = Path(jp_data_dir, "kernels", "venv-nokernel-py", "kernel.json")
    assert json.loads(written.read_text())["argv"][0].startswith(env["prefix"])

    code, body = await api.call("DELETE", "environments", "nokernel", "kernel")
    assert code == 200 and body["removed"] == ["venv-nokernel-py"]
    assert not written.exists()
    code, body = await api.call("DELETE", "environments", "nokernel", "kernel")
    assert code == 200 and body["removed"] == []  # nothing left to remove
    code, body = await api.call("DELETE", "environments", "missing", "kernel")
    assert code == 404 and "missing" in body["message"]
