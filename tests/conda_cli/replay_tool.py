"""A stand-in executable that replays REAL recorded conda/mamba/micromamba output.

conda cannot be installed here, so to test the engine's subprocess plumbing (argument
lists, exit codes, error mapping, cancellation) end to end, `make_replay_tool` writes
a tiny Python script named like the tool. The script never invents output: it prints
one of the files in `recordings/` (see recordings/README.md for where each comes
from) chosen by the rules a test gives, exits with the given code, and logs the argv
it was called with (plus the content of any `--file` argument) so tests can check
what the engine asked for.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECORDINGS = Path(__file__).parent / "recordings"

_SCRIPT = """#!{python}
import json, os, sys, time
from pathlib import Path

here = Path(__file__).resolve().parent
rules = json.loads((here / "rules.json").read_text())
argv = sys.argv[1:]
entry = {{"argv": argv, "pid": os.getpid()}}
if "--file" in argv:
    entry["file_content"] = Path(argv[argv.index("--file") + 1]).read_text()
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps(entry) + "\\n")
for rule in rules:
    if all(word in argv for word in rule["when"]):
        time.sleep(rule.get("sleep", 0))
        if rule.get("stdout"):
            sys.stdout.write(Path(rule["stdout"]).read_text())
        if rule.get("stderr"):
            sys.stderr.write(Path(rule["stderr"]).read_text())
        sys.exit(rule.get("exit", 0))
sys.stderr.write("replay tool: no recording for " + " ".join(argv) + "\\n")
sys.exit(99)
"""


def make_replay_tool(directory: Path, name: str, rules: list[dict]) -> Path:
    """Write an executable `directory/name` replaying recordings by `rules`.

    Each rule: `when` (words that must all be in argv), `stdout`/`stderr` (recording
    file names), `exit` (code), `sleep` (seconds, to test cancellation).
    """
    directory.mkdir(parents=True, exist_ok=True)
    resolved = []
    for rule in rules:
        rule = dict(rule)
        for stream in ("stdout", "stderr"):
            if rule.get(stream):
                rule[stream] = str(RECORDINGS / rule[stream])
        resolved.append(rule)
    (directory / "rules.json").write_text(json.dumps(resolved))
    tool = directory / name
    tool.write_text(_SCRIPT.format(python=sys.executable))
    tool.chmod(0o755)
    return tool


def calls(directory: Path) -> list[dict]:
    log = directory / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]
