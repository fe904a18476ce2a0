"""The suite's moved clock (tests/clock.py) reaches this process and the Python processes it starts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pandas as pd

from clock import SWEEP_DATES, clock_at, moment, on_the_machines_clock

PRINT_TODAY = "import datetime, pandas; print(datetime.date.today(), pandas.Timestamp.now(tz='UTC').date())"


def test_a_moved_clock_reaches_subprocesses_and_ticks_on():
    before = dict(os.environ)
    with clock_at("2099-06-15"):  # a day no machine running this suite will see
        assert dt.date.today() == dt.date(2099, 6, 15) and pd.Timestamp.now(tz="UTC").hour == 15
        child = subprocess.run([sys.executable, "-c", PRINT_TODAY], capture_output=True, text=True, check=True)
        assert child.stdout.split() == ["2099-06-15", "2099-06-15"]
        kept = subprocess.run([sys.executable, "-c", PRINT_TODAY], capture_output=True, text=True, check=True,
                              env=on_the_machines_clock(dict(os.environ)))  # fmt: skip
        assert kept.stdout.split()[0] != "2099-06-15"
    assert dict(os.environ) == before


def test_the_sweep_dates_are_the_ones_the_issue_named():
    days = [moment(day) for day in SWEEP_DATES]
    assert [day.strftime("%a") for day in days] == ["Wed", "Wed", "Thu", "Sat"]
    assert days[1].date() == dt.date(2029, 2, 28) and all(day.tzinfo == dt.UTC and day.hour == 15 for day in days)
