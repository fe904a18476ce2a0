"""Where a stage's time goes: its start-up (interpreter and imports, before the stage's code runs), its run, and
the run's steps — load (every `read_table`), validate (every schema check), write (every atomic write) and
compute (the rest) — written to `timings/<stage>.json` after a successful run. The I/O helpers record their
steps themselves, so every stage is timed the same way without a line in it.

The files are listed as metrics in dvc.yaml (`dvc metrics show` prints them) but are no stage's output and are
not committed: wall times differ from run to run and machine to machine, so they must not touch `dvc.lock`.
`python -m spyglass.timing` prints them as one table (`make run` does, after the pipeline).

    with step("fit"):  # a step of a stage's own, where one matters
        model.fit(x, y)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TIMINGS_DIR = Path("timings")  # under the working directory (the repo root for `dvc repro`)


def timings_dir() -> Path:
    """Where the reports go: $SPYGLASS_TIMINGS_DIR (tests running a stage in-process point it elsewhere), else
    TIMINGS_DIR."""
    return Path(os.environ.get("SPYGLASS_TIMINGS_DIR") or TIMINGS_DIR)


def process_age_seconds() -> float | None:
    """Seconds since this process started (Linux /proc), None where that cannot be read."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class StageClock:
    """The steps of one stage run, in the order they ran (a step run twice adds up)."""

    stage: str
    start_up_seconds: float | None = None
    started: float = field(default_factory=time.perf_counter)
    steps: dict[str, float] = field(default_factory=dict)
    _open: int = 0  # steps running: a step inside another (a validation inside a read) counts as the outer one

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._open:
            yield
            return
        begin, self._open = time.perf_counter(), 1
        try:
            yield
        finally:
            self._open = 0
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - begin

    def report(self) -> dict:
        """The stage's times (seconds, 3 decimals): start-up, its code's run and the steps of it — load (read
        and check inputs), validate, write, and compute (everything else)."""
        total = time.perf_counter() - self.started
        steps = {name: round(seconds, 3) for name, seconds in self.steps.items()}
        steps["compute"] = round(total - sum(self.steps.values()), 3)
        return {
            "stage": self.stage,
            "recorded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_up_seconds": None if self.start_up_seconds is None else round(self.start_up_seconds, 3),
            "run_seconds": round(total, 3),
            "steps": steps,
        }


_current: list[StageClock] = []


@contextmanager
def timed_stage(stage: str) -> Iterator[StageClock]:
    """Time a stage run; steps inside it are recorded with `step`. The report is written only on success."""
    clock = StageClock(stage, start_up_seconds=process_age_seconds())
    _current.append(clock)
    try:
        yield clock
    finally:
        _current.remove(clock)
    write_timing(clock.report())


@contextmanager
def step(name: str) -> Iterator[None]:
    """Record the time of a named step in the running stage (outside a stage, just run the block)."""
    if not _current:
        yield
        return
    with _current[-1].step(name):
        yield


def write_timing(report: dict, directory: Path | None = None) -> Path:
    """Write a stage's timing report as <directory>/<stage>.json (atomically; default: timings_dir())."""
    from spyglass.io import json_text, write_with

    path = (directory or timings_dir()) / f"{report['stage']}.json"
    write_with(lambda tmp: Path(tmp).write_text(json_text(report)), path)
    return path


def timing_table(directory: Path | None = None) -> str:
    """Every stage's last timing, in pipeline order where known, as a fixed-width table."""
    directory = directory or timings_dir()
    reports = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    if not reports:
        return f"no stage timings in {directory}/ yet (run the pipeline)"
    order = ["fetch", "options_features", "ta_features", "ablation", "train_base", "train_meta", "allocate",
             "backtest"]  # fmt: skip

    def place(report: dict) -> tuple:  # by ticker (stage@ticker), then in pipeline order
        stage, _, ticker = report["stage"].partition("@")
        return ticker, order.index(stage) if stage in order else len(order), stage

    reports.sort(key=place)
    lines = [f"{'stage':<24}{'start-up':>10}{'run':>9}  recorded (UTC)        steps (s)"]
    for r in reports:
        start_up = "" if r["start_up_seconds"] is None else f"{r['start_up_seconds']:.1f}"
        steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in r["steps"].items())
        lines.append(f"{r['stage']:<24}{start_up:>10}{r['run_seconds']:>9.1f}  {r['recorded']:<22}{steps}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(timing_table(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
