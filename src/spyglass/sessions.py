"""Trading sessions of the exchange calendar (exchange_calendars; NYSE is "XNYS"): whether New York's date at
a moment is a session, why not (weekend, the holiday's name, an unscheduled closure), and when it closes
(early closes included). The daily run asks this before it fetches anything.

The calendar is built around the day asked about, never around the wall clock: exchange_calendars' default
spans 20 years back to one year ahead of the moment it is built, so a long-running process, or a day outside that
span, would meet its end. Future sessions follow the calendar's holiday rules; a closure announced after the
installed exchange_calendars release is unknown to it (keep it updated)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from spyglass.errors import UserError

NEW_YORK = "America/New_York"
CALENDAR_MARGIN = pd.Timedelta(days=14)  # the span built around the day: room for the weekends and holidays beside it


class CalendarError(UserError):
    """The exchange calendar cannot say whether the day is a session (an unknown name, a day it does not cover)."""


@dataclass(frozen=True)
class SessionDay:
    """New York's date at `now` on `calendar`: a session (with its close, UTC) or a closed day (with why)."""

    calendar: str
    day: dt.date
    now: pd.Timestamp
    close: pd.Timestamp | None  # None on a closed day
    closed_because: str = ""

    @property
    def is_session(self) -> bool:
        return self.close is not None

    @property
    def before_close(self) -> bool:
        return self.close is not None and self.now < self.close

    def describe(self) -> str:
        if not self.is_session:
            return f"{self.calendar} is closed on {self.day:%a %Y-%m-%d} ({self.closed_because})"
        local = self.close.tz_convert(NEW_YORK)
        return (
            f"{self.calendar} session {self.day:%a %Y-%m-%d}, closing {local:%H:%M} New York ({self.close:%H:%M} UTC)"
        )


def session_day(now: pd.Timestamp, calendar: str = "XNYS") -> SessionDay:
    """The session (or closed day) of New York's date at `now` (tz-aware); CalendarError, one line, when the
    calendar cannot tell."""
    now = pd.Timestamp(now).tz_convert("UTC")
    day = now.tz_convert(NEW_YORK).date()
    label = pd.Timestamp(day)
    exchange = exchange_calendar(calendar, label)
    if exchange.is_session(label):
        return SessionDay(calendar, day, now, exchange.session_close(label))
    return SessionDay(calendar, day, now, None, _closed_because(exchange, label))


def exchange_calendar(calendar: str, day: pd.Timestamp):
    """exchange_calendars' `calendar` over the weeks around `day` (whatever the wall clock says)."""
    import exchange_calendars  # imported here: it takes a moment and only the daily run needs it

    try:
        return exchange_calendars.get_calendar(calendar, start=day - CALENDAR_MARGIN, end=day + CALENDAR_MARGIN)
    except (exchange_calendars.errors.CalendarError, ValueError) as exc:
        message = " ".join(f"{exc}".split())
        raise CalendarError(
            f"daily.calendar {calendar!r} cannot say whether {day:%Y-%m-%d} is a session: {message}"
        ) from exc


def _closed_because(exchange, day: pd.Timestamp) -> str:
    if day.weekday() >= 5:
        return "weekend"
    names = exchange.regular_holidays.holidays(day, day, return_name=True) if exchange.regular_holidays else None
    if names is not None and len(names):
        return f"holiday: {names.iloc[0]}"
    return "unscheduled closure" if day in pd.DatetimeIndex(exchange.adhoc_holidays) else "no session"
