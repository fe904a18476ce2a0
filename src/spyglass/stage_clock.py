"""The clock of one stage run: its start-up and its named steps (load, validate, write, compute...), recorded
by whatever code runs inside it. The floor every module may import: no other spyglass module.

    with running(StageClock("fetch@GSPC")):
        with step("write"):  # recorded into the running clock; outside a run, just runs the block
            ...
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

_RUNNING: ContextVar[StageClock | None] = ContextVar("spyglass_stage_clock", default=None)


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


@contextmanager
def running(clock: StageClock) -> Iterator[StageClock]:
    """Make `clock` the one `step` records into, for the block (and the threads it starts with its context)."""
    token = _RUNNING.set(clock)
    try:
        yield clock
    finally:
        _RUNNING.reset(token)


@contextmanager
def step(name: str) -> Iterator[None]:
    """Record the time of a named step in the running stage (outside a stage, just run the block)."""
    clock = _RUNNING.get()
    if clock is None:
        yield
        return
    with clock.step(name):
        yield
