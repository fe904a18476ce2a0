"""The clock a test runs under: the wall clock, or a moment the suite is moved to (time-machine, ticking on from
there), in this process and in every Python subprocess it starts (dvc, the stages, the daily run, the app).

`pytest --clock 2029-02-28` runs the whole suite on that date; tests marked `any_date` also run, in every
suite, once on the wall clock and once on each of SWEEP_DATES. `make test-dates` runs the whole suite on each.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A mid-year Wednesday, a Wednesday after a leap-year gap (2028-02-29 exists, 2029-02-29 does not), the first
# session of a year, and a Saturday (New Year's Day: NYSE does not observe it on Friday 2027-12-31).
SWEEP_DATES = ("2027-06-30", "2029-02-28", "2031-01-02", "2028-01-01")
ENV = "SPYGLASS_TEST_CLOCK"  # read by clock_site/sitecustomize.py in every Python subprocess
SITE = Path(__file__).resolve().parent / "clock_site"


def moment(when: str) -> dt.datetime:
    """`when` as a UTC moment: a date alone means 15:00 UTC (10:00 or 11:00 in New York, a session's morning)."""
    parsed = dt.datetime.fromisoformat(when)
    if len(when) <= 10:
        parsed = parsed.replace(hour=15)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@contextmanager
def clock_at(when: str) -> Iterator[dt.datetime]:
    """Move this process's clock to `when` (ticking on) and make Python subprocesses start there too."""
    import time_machine

    start = moment(when)
    saved = {name: os.environ.get(name) for name in (ENV, "PYTHONPATH")}
    os.environ[ENV] = start.isoformat()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE), saved["PYTHONPATH"]]))
    try:
        with time_machine.travel(start, tick=True):
            yield start
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def on_the_machines_clock(env: dict[str, str]) -> dict[str, str]:
    """`env` for a subprocess that must keep the machine's clock: a client of a server that checks request times
    against its own (an S3 server refuses requests signed more than 15 minutes away from its clock)."""
    return {name: value for name, value in env.items() if name != ENV}
