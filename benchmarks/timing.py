"""Helpers shared by the benchmark scripts: best-of-N wall time and the JSON report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """Fastest wall time of `repeats` calls (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def write_report(report: dict, out: str | Path) -> None:
    """Write the report as JSON (creating its folder) and print it."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
