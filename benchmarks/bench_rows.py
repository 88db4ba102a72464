"""One result line per goal, shared by every bench and `run_all.py`.

A bench prints its own detail, then calls `report(rows, json_path)`: the rows are
printed as a small table and, with `--json PATH`, written there for run_all.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Row:
    #: What is measured, e.g. "/api/kernelspecs, 100 envs, warm".
    what: str
    #: The peer or former figure it is compared with, and its name.
    baseline_name: str
    baseline: float | None
    ours: float
    unit: str
    #: The goal as text ("<= 5 ms") and whether it is met.
    goal: str
    met: bool

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.ours:
            return None
        return self.baseline / self.ours


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.3f} s" if unit == "s" else f"{value:.2f} {unit}"


def report(rows: list[Row], json_path: str | None) -> None:
    for row in rows:
        ratio = f"{row.ratio:.1f}x" if row.ratio is not None else "-"
        print(
            f"  {row.what}: {row.baseline_name} {fmt(row.baseline, row.unit)}, ours "
            f"{fmt(row.ours, row.unit)}, ratio {ratio}; goal {row.goal}: "
            f"{'met' if row.met else 'NOT met'}"
        )
    if json_path:
        Path(json_path).write_text(json.dumps([asdict(r) for r in rows]), encoding="utf-8")
