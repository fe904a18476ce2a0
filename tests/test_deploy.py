"""The schedules in deploy/ run the daily job after every NYSE close and retrain once a week."""

from __future__ import annotations

import re
import shutil
import subprocess

import exchange_calendars
import pandas as pd
import pytest

WEEKDAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}


def cron_jobs(repo_root) -> dict[str, tuple[int, int, str]]:
    """command ("make daily", ...) -> (hour, minute, day-of-week field) of each line of deploy/crontab."""
    jobs = {}
    for line in (repo_root / "deploy" / "crontab").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            minute, hour, _, _, weekdays, command = line.split(maxsplit=5)
            jobs[re.search(r"make \w+", command).group()] = (int(hour), int(minute), weekdays)
    return jobs


def timer(repo_root, name: str) -> str:
    return re.search(r"^OnCalendar=(.+)$", (repo_root / "deploy" / f"{name}.timer").read_text(), re.M).group(1)


@pytest.mark.any_date
def test_the_daily_run_starts_after_every_close_of_a_decade_in_both_time_regimes(repo_root):
    hour, minute, weekdays = cron_jobs(repo_root)["make daily"]
    assert weekdays == "1-5"
    # the years are named, not taken from the clock; the calendar is built for them (its default ends a year on)
    nyse = exchange_calendars.get_calendar("XNYS", start="2026-01-01", end="2035-12-31")
    sessions = nyse.sessions
    closes = pd.DatetimeIndex(nyse.closes[sessions])
    starts = (sessions + pd.Timedelta(hours=hour, minutes=minute)).tz_localize("UTC")
    assert (starts > closes).all()
    assert (starts - closes).min() <= pd.Timedelta(hours=1)  # soon after the close in winter
    assert timer(repo_root, "spyglass-daily") == f"Mon..Fri *-*-* {hour:02d}:{minute:02d}:00 UTC"


def test_the_weekly_retrain_runs_the_pipeline_on_saturday(repo_root):
    hour, minute, weekdays = cron_jobs(repo_root)["make run"]
    assert weekdays == "6" and timer(repo_root, "spyglass-retrain") == f"Sat *-*-* {hour:02d}:{minute:02d}:00 UTC"


@pytest.mark.parametrize("name", ["spyglass-daily", "spyglass-retrain"])
def test_each_service_runs_its_make_target_from_the_clone(repo_root, name):
    service = (repo_root / "deploy" / f"{name}.service").read_text()
    target = {"spyglass-daily": "daily", "spyglass-retrain": "run"}[name]
    assert re.search(rf"^ExecStart=/usr/bin/make {target}$", service, re.M)
    assert re.search(r"^WorkingDirectory=/srv/spyglass$", service, re.M) and "Type=oneshot" in service


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", ["spyglass-daily", "spyglass-retrain"])
def test_systemd_accepts_each_timers_calendar(repo_root, name):
    done = subprocess.run(["systemd-analyze", "calendar", timer(repo_root, name)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    next_run = pd.Timestamp(re.search(r"Next elapse: \w+ (\S+ \S+) UTC", done.stdout).group(1))
    assert next_run.weekday() in ({5} if "retrain" in name else set(range(5)))
