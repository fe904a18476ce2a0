"""NYSE sessions from exchange_calendars: closed days say why, closes move with daylight saving and early closes."""

from __future__ import annotations

import pandas as pd
import pytest

from spyglass.sessions import CalendarError, session_day

pytestmark = pytest.mark.any_date  # the calendar is built around the day asked about, whatever the clock says


@pytest.mark.parametrize(
    ("now", "why"),
    [("2026-11-26 22:00", "holiday: Thanksgiving"), ("2026-11-28 22:00", "weekend"),
     ("2025-01-09 22:00", "unscheduled closure"), ("2026-07-03 22:00", "holiday: July 4th")],
)  # fmt: skip
def test_a_closed_day_says_why(now, why):
    day = session_day(pd.Timestamp(now, tz="UTC"))
    assert not day.is_session and not day.before_close and day.closed_because == why
    assert day.describe().startswith(f"XNYS is closed on {day.day:%a %Y-%m-%d} ({why})")


@pytest.mark.parametrize(
    ("now", "close_utc"),
    [("2026-11-25 12:00", "2026-11-25 21:00"),   # 16:00 New York in winter time
     ("2026-07-15 12:00", "2026-07-15 20:00"),   # 16:00 New York in summer time
     ("2026-11-27 12:00", "2026-11-27 18:00")],  # the day after Thanksgiving closes at 13:00
)  # fmt: skip
def test_a_session_closes_at_the_exchange_close_in_utc(now, close_utc):
    day = session_day(pd.Timestamp(now, tz="UTC"))
    assert day.is_session and day.close == pd.Timestamp(close_utc, tz="UTC") and day.before_close
    assert not session_day(day.close).before_close  # at the close the day is complete


def test_the_day_is_new_yorks_date_not_utcs():
    late_evening = session_day(pd.Timestamp("2026-11-26 03:00", tz="UTC"))  # 22:00 on the 25th in New York
    assert late_evening.day == pd.Timestamp("2026-11-25").date() and late_evening.is_session


@pytest.mark.parametrize(("now", "is_session"), [("1995-03-01 22:00", True), ("2041-12-25 15:00", False),
                                                 ("2045-07-05 15:00", True)])  # fmt: skip
def test_days_far_from_the_clock_are_answered(now, is_session):
    # exchange_calendars' default calendar spans 20 years back to 1 year ahead of when it is built
    assert session_day(pd.Timestamp(now, tz="UTC")).is_session == is_session


def test_an_unknown_calendar_is_one_line_naming_the_key():
    with pytest.raises(CalendarError, match=r"^daily.calendar 'XNYZ' cannot say whether 2026-11-25 is a session: .*"):
        session_day(pd.Timestamp("2026-11-25 22:00", tz="UTC"), "XNYZ")
