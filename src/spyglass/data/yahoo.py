"""Talking to Yahoo Finance: the calls spyglass makes, the yfinance client behind them, and retries.

Rate limits, network errors and transient parse errors (a truncated JSON answer) are retried with exponential
backoff; any other error from yfinance ends the attempts at once, since yfinance fails in assorted ways when
Yahoo answers oddly. A FetchError lists every attempt's error, the first one (usually the real cause) first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from spyglass.errors import UserError

log = logging.getLogger(__name__)


class FetchError(UserError, RuntimeError):
    """Yahoo gave nothing usable; the message says what was asked for and what came back."""


class OptionsPayload(Protocol):
    calls: pd.DataFrame | None
    puts: pd.DataFrame | None
    underlying: dict | None


class YahooClient(Protocol):
    """The calls spyglass makes to Yahoo. `on(day)` says which day's chains the next calls ask for (a live client
    can only answer today's; a replay answers any recorded day); `quote_time()` is when they were quoted."""

    def history(self, ticker: str, start: str | None, end: str | None) -> pd.DataFrame: ...

    def on(self, day: dt.date) -> YahooClient: ...

    def expiries(self, ticker: str) -> tuple[str, ...]: ...

    def option_chain(self, ticker: str, expiry: str) -> OptionsPayload: ...

    def quote_time(self, ticker: str) -> dt.datetime: ...


class YFinanceClient:
    """YahooClient backed by the yfinance package (today's chains only)."""

    def __init__(self) -> None:
        import yfinance

        self._yf = yfinance
        self._tickers: dict[str, Any] = {}

    def _ticker(self, ticker: str):
        return self._tickers.setdefault(ticker, self._yf.Ticker(ticker))

    def history(self, ticker: str, start: str | None, end: str | None) -> pd.DataFrame:
        # `end` is exclusive in yfinance: ask for the day after so the configured end date is included.
        end_exclusive = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d") if end else None
        # A fresh Ticker per attempt: after a failed request yfinance's cached Ticker fails differently
        # (TypeError on its empty info), which would hide the network error from the retry.
        return self._yf.Ticker(ticker).history(
            start=start, end=end_exclusive, interval="1d", auto_adjust=False, actions=False, raise_errors=True
        )

    def on(self, day: dt.date) -> YFinanceClient:
        return self  # Yahoo serves today's chains, whatever day they are filed under

    def expiries(self, ticker: str) -> tuple[str, ...]:
        return tuple(self._ticker(ticker).options)

    def option_chain(self, ticker: str, expiry: str) -> OptionsPayload:
        return self._ticker(ticker).option_chain(expiry)

    def quote_time(self, ticker: str) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


def retryable_errors() -> tuple[type[BaseException], ...]:
    """Rate limits, network failures and truncated answers: worth another try after a pause."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, json.JSONDecodeError]
    try:
        from yfinance.exceptions import YFRateLimitError

        errors.append(YFRateLimitError)
    except ImportError:  # pragma: no cover - yfinance is a dependency
        pass
    for module, name in (
        ("requests.exceptions", "RequestException"),
        ("curl_cffi.requests.exceptions", "RequestException"),
    ):
        try:
            errors.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


@dataclass(frozen=True)
class RetryPolicy:
    """attempts in all; waits base_delay * 2^i seconds (capped at max_delay) between them."""

    attempts: int = 4
    base_delay: float = 2.0
    max_delay: float = 30.0


def with_retries[T](
    call: Callable[[], T], what: str, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run `call`, retrying retryable errors with exponential backoff; raise FetchError at the end.

    A ValueError that is not a parse error (yfinance's "expiration cannot be found") is the caller's to handle
    and passes through unchanged.
    """
    retryable = retryable_errors()
    seen: list[str] = []
    for attempt in range(policy.attempts):
        try:
            return call()
        except FetchError:
            raise
        except Exception as exc:
            if isinstance(exc, ValueError) and not isinstance(exc, retryable):
                raise
            seen.append(f"{type(exc).__name__}: {exc}")
            if not isinstance(exc, retryable) or attempt == policy.attempts - 1:
                raise FetchError(f"{what}: failed after {len(seen)} attempt(s): " + "; then ".join(seen)) from exc
            delay = min(policy.base_delay * 2**attempt, policy.max_delay)
            log.warning("%s: %s; retrying in %.0f s", what, seen[-1], delay)
            sleep(delay)
    raise AssertionError("unreachable")


def market_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in New York, moved back to Friday on a weekend: the trading day whose chain Yahoo serves."""
    today = pd.Timestamp(now or dt.datetime.now(dt.UTC)).tz_convert("America/New_York").date()
    return today - dt.timedelta(days=max(0, today.weekday() - 4))
