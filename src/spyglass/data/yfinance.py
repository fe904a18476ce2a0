"""Live Yahoo Finance data: daily bars and today's option chains for one ticker.

Bars come from `Ticker.history(auto_adjust=False)`: `close` is the traded close and `adj_close` the close
adjusted for splits and dividends (returns use `adj_close`). Whatever shape yfinance returns (MultiIndex
columns as `yf.download` gives, with or without "Adj Close"), `standardise_bars` flattens it.

Chains: every listed expiry within `chains.horizon_days`, calls and puts, each row stamped with the snapshot
date, expiry, type and the underlying price. An expiry is kept only when both its calls and puts arrive; one
that fails or vanishes mid-fetch is skipped and logged. Rate limits and network errors are retried with
exponential backoff. Nothing here writes: a failure leaves the stored data as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
import polars as pl

from spyglass.data import MarketData

log = logging.getLogger(__name__)

BAR_COLUMNS = {"open": "open", "high": "high", "low": "low", "close": "close", "adj close": "adj_close",
               "adj_close": "adj_close", "volume": "volume"}  # fmt: skip


class FetchError(RuntimeError):
    """Yahoo gave nothing usable; the message says what was asked for and what came back."""


class OptionsPayload(Protocol):
    calls: pd.DataFrame | None
    puts: pd.DataFrame | None
    underlying: dict | None


class YahooClient(Protocol):
    """The three calls spyglass makes to Yahoo (tests pass recorded responses of the same shape)."""

    def history(self, ticker: str, start: str | None, end: str | None) -> pd.DataFrame: ...

    def expiries(self, ticker: str) -> tuple[str, ...]: ...

    def option_chain(self, ticker: str, expiry: str) -> OptionsPayload: ...


class YFinanceClient:
    """YahooClient backed by the yfinance package."""

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

    def expiries(self, ticker: str) -> tuple[str, ...]:
        return tuple(self._ticker(ticker).options)

    def option_chain(self, ticker: str, expiry: str) -> OptionsPayload:
        return self._ticker(ticker).option_chain(expiry)


def retryable_errors() -> tuple[type[BaseException], ...]:
    """Rate limits and network failures: worth another try after a pause."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
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
    """Run `call`, retrying rate limits and network errors with exponential backoff; raise FetchError at the end.

    Any other error from the client (yfinance fails in assorted ways when Yahoo answers oddly, or after a
    network failure) ends the attempts at once. The FetchError lists every attempt's error, the first one
    (usually the real cause) first.
    """
    retryable = retryable_errors()
    seen: list[str] = []
    for attempt in range(policy.attempts):
        try:
            return call()
        except (FetchError, ValueError):
            raise  # ValueError: yfinance's "expiration cannot be found", handled by the caller
        except Exception as exc:
            seen.append(f"{type(exc).__name__}: {exc}")
            if not isinstance(exc, retryable) or attempt == policy.attempts - 1:
                raise FetchError(f"{what}: failed after {len(seen)} attempt(s): " + "; then ".join(seen)) from exc
            delay = min(policy.base_delay * 2**attempt, policy.max_delay)
            log.warning("%s: %s; retrying in %.0f s", what, seen[-1], delay)
            sleep(delay)
    raise AssertionError("unreachable")


def standardise_bars(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Daily bars with columns date, open, high, low, close, adj_close, volume (PricesSchema order).

    Accepts yfinance's MultiIndex columns (either level order), title-case names, a tz-aware index, and a frame
    without "Adj Close" (auto-adjusted data: then adj_close = close).
    """
    frame = raw.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        level = next((i for i in range(frame.columns.nlevels) if ticker in frame.columns.get_level_values(i)), None)
        frame = frame.xs(ticker, axis=1, level=level) if level is not None else frame.droplevel(-1, axis=1)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.rename(columns=BAR_COLUMNS)
    if "adj_close" not in frame and "close" in frame:
        frame["adj_close"] = frame["close"]
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in frame]
    if missing:
        raise FetchError(f"Yahoo bars for {ticker} lack column(s) {missing}; got {list(raw.columns)}")
    index = pd.DatetimeIndex(frame.index)
    dates = (index.tz_localize(None) if index.tz is not None else index).normalize()
    bars = frame[["open", "high", "low", "close", "adj_close", "volume"]].astype(float).set_axis(dates)
    bars = bars[~bars.index.duplicated(keep="last")].sort_index()
    return bars.rename_axis("date").reset_index()


def chain_rows(
    calls: pd.DataFrame,
    puts: pd.DataFrame,
    expiry: str,
    snapshot_date: dt.date,
    spot: float,
    snapshot_time: dt.datetime | None = None,
) -> pl.DataFrame:
    """One expiry's quotes in the OptionChainSchema layout (NaN volume stays null; zero bids stay zero)."""
    parts = []
    for option_type, quotes in (("call", calls), ("put", puts)):
        trade_time = pd.to_datetime(quotes["lastTradeDate"], utc=True)
        parts.append(
            pd.DataFrame(
                {
                    "option_type": option_type,
                    "strike": quotes["strike"].astype(float),
                    "bid": quotes["bid"].astype(float),
                    "ask": quotes["ask"].astype(float),
                    "last": quotes["lastPrice"].astype(float),
                    "last_trade_date": trade_time.dt.tz_convert(None).dt.normalize(),
                    "volume": quotes["volume"].astype(float),
                    "open_interest": quotes["openInterest"].astype(float),
                    "provider_iv": quotes["impliedVolatility"].astype(float),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    return pl.from_pandas(rows, nan_to_null=True).with_columns(
        snapshot_date=pl.lit(snapshot_date, dtype=pl.Date),
        snapshot_time=pl.lit(snapshot_time or dt.datetime.now(dt.UTC), dtype=pl.Datetime("us", "UTC")),
        expiry=pl.lit(pd.Timestamp(expiry).date(), dtype=pl.Date),
        underlying_price=pl.lit(float(spot)),
        last_trade_date=pl.col("last_trade_date").cast(pl.Date),
    )


def fetch_chains(
    client: YahooClient,
    ticker: str,
    snapshot_date: dt.date,
    horizon_days: int,
    spot: float,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> pl.DataFrame:
    """Chains for every expiry within the horizon; expiries that fail or arrive incomplete are skipped."""
    listed = with_retries(lambda: client.expiries(ticker), f"{ticker} option expiries", policy, sleep)
    wanted = [e for e in listed if 0 <= (pd.Timestamp(e).date() - snapshot_date).days <= horizon_days]
    if not wanted:
        raise FetchError(
            f"Yahoo lists no {ticker} option expiry within {horizon_days} days (listed: {list(listed)[:5]})"
        )
    parts = []
    for expiry in wanted:
        try:
            payload = with_retries(
                lambda e=expiry: client.option_chain(ticker, e), f"{ticker} chain {expiry}", policy, sleep
            )
        except (FetchError, ValueError) as exc:  # ValueError: yfinance's "expiration cannot be found"
            log.warning("skipping %s expiry %s: %s", ticker, expiry, exc)
            continue
        calls, puts = payload.calls, payload.puts
        if calls is None or puts is None or calls.empty or puts.empty:
            log.warning("skipping %s expiry %s: incomplete chain (calls or puts missing)", ticker, expiry)
            continue
        underlying = payload.underlying or {}
        parts.append(chain_rows(calls, puts, expiry, snapshot_date, underlying.get("regularMarketPrice") or spot))
    if not parts:
        raise FetchError(f"no complete {ticker} option chain arrived for any of {len(wanted)} expiries")
    log.info("%s: %d of %d expiries complete", ticker, len(parts), len(wanted))
    return pl.concat(parts)


def daily_history(
    client: YahooClient, ticker: str, data_cfg: dict, policy: RetryPolicy, sleep: Callable[[float], None]
) -> pd.DataFrame:
    """Daily bars of `ticker` between data.start and data.end, with retries; FetchError when Yahoo has none."""
    raw = with_retries(
        lambda: client.history(ticker, data_cfg.get("start"), data_cfg.get("end")),
        f"{ticker} price history",
        policy,
        sleep,
    )
    if raw is None or raw.empty:
        raise FetchError(
            f"Yahoo returned no price history for {ticker} between {data_cfg.get('start')} and "
            f"{data_cfg.get('end') or 'today'}; check the ticker and dates"
        )
    return raw


def with_risk_free(
    prices: pd.DataFrame,
    client: YahooClient,
    data_cfg: dict,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    """Add `risk_free_daily` from a Yahoo rate ticker (e.g. ^IRX, the 13-week T-bill yield in percent per year):
    rate / 100 / 252 per day, carried forward over days without a quote (never backward: days before the first
    quote get the constant data.risk_free_rate / 252). With `risk_free_ticker: null` the constant applies to
    every day downstream (the offline default)."""
    rate_ticker = data_cfg.get("risk_free_ticker")
    if not rate_ticker:
        return prices
    raw = daily_history(client, rate_ticker, data_cfg, policy, sleep)
    rates = standardise_bars(raw, rate_ticker).set_index("date")["close"] / 100.0 / 252.0
    daily = rates.reindex(prices["date"]).ffill().fillna(float(data_cfg["risk_free_rate"]) / 252.0)
    return prices.assign(risk_free_daily=daily.to_numpy())


def load(
    data_cfg: dict,
    seed: int,
    client: YahooClient | None = None,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> MarketData:
    """Bars between start and end and today's chains (snapshot dated by the last bar) from Yahoo."""
    del seed  # live data is not random
    ticker = data_cfg["ticker"]
    client = client or YFinanceClient()
    policy = RetryPolicy(**data_cfg.get("retry", {}))
    raw = daily_history(client, ticker, data_cfg, policy, sleep)
    prices = with_risk_free(standardise_bars(raw, ticker), client, data_cfg, policy, sleep)
    snapshot_date = today or prices["date"].iloc[-1].date()
    spot = float(prices["close"].iloc[-1])
    chains = fetch_chains(client, ticker, snapshot_date, int(data_cfg["chains"]["horizon_days"]), spot, policy, sleep)
    return MarketData(
        prices=prices,
        chains=chains,
        description=f"Yahoo Finance {ticker}: bars and the chain of {snapshot_date}",
        snapshot_mode="append",
    )
