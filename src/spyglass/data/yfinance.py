"""Live Yahoo Finance data: daily bars, today's option chains and CBOE's volatility index histories for one ticker.

Bars come from `Ticker.history(auto_adjust=False)`: `close` is the traded close and `adj_close` the close
adjusted for splits and dividends (returns use `adj_close`). Whatever shape yfinance returns (MultiIndex columns
as `yf.download` gives, with or without "Adj Close"), `standardise_bars` flattens it. A bar without prices (a
partial bar during the session, a hole in Yahoo's answer) is dropped, and a missing volume is carried forward
from the day before; both are logged and counted in the fetch report.

Chains: every listed expiry within `chains.horizon_days` (each once, however often it is listed), calls and
puts, stamped with the snapshot date (the last bar's date, as Yahoo listed it), expiry, type, the underlying's
price (Yahoo's regularMarketPrice, else the last close) and one quote time. An expiry is kept only when both
sides arrive with every column spyglass reads; a skipped one is logged and its reason reported. Chains are
returned even when the bars fail (BarsFailedError carries them), because a day's chain can never be fetched again.

Volatility indices: the closes of the `vol_indices` tickers (columns named by spyglass.data.vol_indices, e.g.
^VIX -> vix_30d); an index Yahoo does not answer for is left out with a warning, never a failure.

`data.replay_dir` answers every call from a recording (spyglass.data.yahoo_replay), each recorded day's chains
as that day's snapshot; `data.record_dir` records live answers for replay. Nothing here writes to the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.data.option_symbols import option_roots
from spyglass.data.vol_indices import index_column
from spyglass.data.yahoo import FetchError, RetryPolicy, YahooClient, YFinanceClient, market_today, with_retries
from spyglass.data.yahoo_replay import RecordingClient, ReplayClient
from spyglass.daycount import TRADING_DAYS_PER_YEAR

log = logging.getLogger(__name__)

BAR_COLUMNS = {"open": "open", "high": "high", "low": "low", "close": "close", "adj close": "adj_close",
               "adj_close": "adj_close", "volume": "volume"}  # fmt: skip
PRICE_COLUMNS = ["open", "high", "low", "close", "adj_close"]
CHAIN_COLUMNS = ["lastTradeDate", "strike", "lastPrice", "bid", "ask", "volume", "openInterest", "impliedVolatility"]
Sleep = Callable[[float], None]


class BarsFailedError(FetchError):
    """The bars could not be fetched or read, but option chains arrived: `chains` holds them so the caller can
    store them before failing (a day's chain cannot be fetched again)."""

    def __init__(self, message: str, chains: pl.DataFrame | None) -> None:
        super().__init__(message)
        self.chains = chains


def standardise_bars(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Daily bars with columns date, open, high, low, close, adj_close, volume (PricesSchema order), every row
    of the answer kept (missing values included).

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


def clean_bars(bars: pd.DataFrame, ticker: str) -> tuple[pd.DataFrame, dict]:
    """Drop bars without a full set of prices, carry a missing volume forward from the day before (0 on the
    first day); returns the bars and a report of what was dropped and filled (dates)."""
    no_price = bars[PRICE_COLUMNS].isna().any(axis=1)
    dropped = [f"{d:%Y-%m-%d}" for d in bars.loc[no_price, "date"]]
    kept = bars.loc[~no_price].reset_index(drop=True)
    no_volume = kept["volume"].isna()
    filled = [f"{d:%Y-%m-%d}" for d in kept.loc[no_volume, "date"]]
    kept["volume"] = kept["volume"].ffill().fillna(0.0)
    if dropped:
        log.warning("%s: dropped %d bar(s) without prices (a partial bar or a hole): %s", ticker, len(dropped),
                    ", ".join(dropped[-5:]))  # fmt: skip
    if filled:
        log.warning(
            "%s: %d bar(s) without volume took the day before's: %s", ticker, len(filled), ", ".join(filled[-5:])
        )
    return kept, {"bars_dropped": dropped, "volumes_filled": filled}


# The first of Yahoo's numeric quote columns, by OptionChainSchema name (the rest follow last_trade_date).
YAHOO_NUMBERS = {"strike": "strike", "bid": "bid", "ask": "ask", "last": "lastPrice"}


def chain_rows(
    calls: pd.DataFrame, puts: pd.DataFrame, expiry: str, snapshot_date: dt.date, spot: float, quoted: dt.datetime
) -> pl.DataFrame:
    """One expiry's quotes in the OptionChainSchema layout (NaN volume stays null; zero bids stay zero; the root
    from each contractSymbol: ^SPX lists SPX and SPXW contracts on third Fridays)."""
    quotes = pd.concat([calls, puts], ignore_index=True)
    trade_day = pd.to_datetime(quotes["lastTradeDate"], utc=True).dt.tz_convert(None).dt.normalize()

    def numbers(column: str) -> pl.Series:
        return pl.Series(quotes[column].to_numpy(dtype=float), nan_to_null=True)

    roots = option_roots(quotes["contractSymbol"]) if "contractSymbol" in quotes else None
    rows = pl.DataFrame(
        {
            **({} if roots is None else {"root": pl.Series(roots.to_numpy(dtype=object), dtype=pl.Utf8)}),
            "option_type": np.repeat(["call", "put"], [len(calls), len(puts)]),
            **{name: numbers(column) for name, column in YAHOO_NUMBERS.items()},
            "last_trade_date": trade_day.to_numpy(),
            "volume": numbers("volume"),
            "open_interest": numbers("openInterest"),
            "provider_iv": numbers("impliedVolatility"),
        }
    )
    return rows.with_columns(
        snapshot_date=pl.lit(snapshot_date, dtype=pl.Date),
        snapshot_time=pl.lit(quoted, dtype=pl.Datetime("us", "UTC")),
        expiry=pl.lit(pd.Timestamp(expiry).date(), dtype=pl.Date),
        underlying_price=pl.lit(float(spot)),
        last_trade_date=pl.col("last_trade_date").cast(pl.Date),
    )


def _incomplete(calls: pd.DataFrame | None, puts: pd.DataFrame | None) -> str | None:
    """Why an expiry's answer cannot be used, or None."""
    if calls is None or puts is None or calls.empty or puts.empty:
        return "incomplete chain (calls or puts missing)"
    absent = sorted({c for side in (calls, puts) for c in CHAIN_COLUMNS if c not in side})
    return f"answer lacks column(s) {absent}" if absent else None


def _spot(underlying: dict | None, fallback: float | None) -> float | None:
    price = (underlying or {}).get("regularMarketPrice")
    try:
        price = float(price)
    except (TypeError, ValueError):
        price = math.nan
    return price if math.isfinite(price) and price > 0 else fallback


def fetch_chains(
    client: YahooClient,
    ticker: str,
    snapshot_date: dt.date,
    horizon_days: int,
    last_close: float | None,
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
) -> tuple[pl.DataFrame, dict]:
    """Chains for every expiry within the horizon (each once) and a report; expiries that fail or arrive
    incomplete are skipped with their reason. FetchError when none arrives."""
    listed = with_retries(lambda: client.expiries(ticker), f"{ticker} option expiries", policy, sleep)
    unique = list(dict.fromkeys(listed))
    wanted = [e for e in unique if 0 <= (pd.Timestamp(e).date() - snapshot_date).days <= horizon_days]
    report = {"expiries_listed": len(listed), "expiries_wanted": len(wanted), "expiries_skipped": {}}
    if len(unique) < len(listed):
        log.warning("%s: Yahoo listed %d expiries twice; each is fetched once", ticker, len(listed) - len(unique))
    if not wanted:
        raise FetchError(
            f"Yahoo lists no {ticker} option expiry within {horizon_days} days of {snapshot_date} "
            f"(listed: {list(listed)[:5]})"
        )
    quoted = client.quote_time(ticker)
    parts = []
    for expiry in wanted:
        try:
            payload = with_retries(
                lambda e=expiry: client.option_chain(ticker, e), f"{ticker} chain {expiry}", policy, sleep
            )
            why = _incomplete(payload.calls, payload.puts)
            spot = _spot(payload.underlying, last_close)
            if why is None and spot is None:
                why = "no underlying price (regularMarketPrice missing and no close to fall back on)"
            if why is None:
                parts.append(chain_rows(payload.calls, payload.puts, expiry, snapshot_date, spot, quoted))
        except (FetchError, ValueError, TypeError) as exc:  # ValueError: yfinance's "expiration cannot be found"
            why = f"{type(exc).__name__}: {exc}"
        if why is not None:
            log.warning("skipping %s expiry %s: %s", ticker, expiry, why)
            report["expiries_skipped"][expiry] = why
    report["expiries_fetched"] = len(parts)
    if not parts:
        raise FetchError(f"no complete {ticker} option chain arrived for any of {len(wanted)} expiries")
    log.info("%s %s: %d of %d expiries complete", ticker, snapshot_date, len(parts), len(wanted))
    return pl.concat(parts), report


def daily_history(client: YahooClient, ticker: str, data_cfg: dict, policy: RetryPolicy, sleep: Sleep) -> pd.DataFrame:
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
    prices: pd.DataFrame, client: YahooClient, data_cfg: dict, policy: RetryPolicy, sleep: Sleep = time.sleep
) -> pd.DataFrame:
    """Add `risk_free_daily` from a Yahoo rate ticker (e.g. ^IRX, the 13-week T-bill yield in percent per year):
    rate / 100 / 252 per day, carried forward over days without a quote (never backward: days before the first
    quote get the constant data.risk_free_rate / 252). With `risk_free_ticker: null` the constant applies to
    every day downstream (the offline default)."""
    rate_ticker = data_cfg.get("risk_free_ticker")
    if not rate_ticker:
        return prices
    raw = daily_history(client, rate_ticker, data_cfg, policy, sleep)
    rates = standardise_bars(raw, rate_ticker).set_index("date")["close"].dropna() / 100.0 / TRADING_DAYS_PER_YEAR
    daily = rates.reindex(prices["date"]).ffill().fillna(float(data_cfg["risk_free_rate"]) / TRADING_DAYS_PER_YEAR)
    return prices.assign(risk_free_daily=daily.to_numpy())


def fetch_vol_indices(
    client: YahooClient, tickers: list[str], data_cfg: dict, policy: RetryPolicy, sleep: Sleep = time.sleep
) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Closes of each volatility index (date + one column per index, index points) and a report per ticker; an
    index Yahoo does not answer for is left out with a warning."""
    columns, report = {}, {}
    for ticker in tickers:
        column = index_column(ticker)
        try:
            bars = standardise_bars(daily_history(client, ticker, data_cfg, policy, sleep), ticker)
        except FetchError as exc:
            log.warning("volatility index %s left out: %s", ticker, exc)
            report[ticker] = f"left out: {exc}"
            continue
        close = bars.set_index("date")["close"].dropna()
        columns[column] = close[close > 0]
        report[ticker] = f"{len(columns[column])} days {close.index[0]:%Y-%m-%d}..{close.index[-1]:%Y-%m-%d}"
    if not columns:
        return None, report
    table = pd.DataFrame(columns).sort_index().rename_axis("date").reset_index()
    return table, report


def yahoo_bars(
    data_cfg: dict, client: YahooClient | None = None, sleep: Sleep = time.sleep
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Daily bars of `data_cfg["ticker"]` between start and end: (Yahoo's rows as answered, the clean bars with
    the risk-free column when `risk_free_ticker` is set, the cleaning report)."""
    client = client or yahoo_client(data_cfg)
    policy = RetryPolicy(**data_cfg.get("retry", {}))
    bars = standardise_bars(daily_history(client, data_cfg["ticker"], data_cfg, policy, sleep), data_cfg["ticker"])
    prices, report = clean_bars(bars, data_cfg["ticker"])
    return bars, with_risk_free(prices, client, data_cfg, policy, sleep), report


def yahoo_client(data_cfg: dict) -> YahooClient:
    """The recording replayed (data.replay_dir), else live yfinance, recorded when data.record_dir is set."""
    if data_cfg.get("replay_dir"):
        return ReplayClient(data_cfg["replay_dir"])
    client = YFinanceClient()
    return RecordingClient(client, data_cfg["record_dir"]) if data_cfg.get("record_dir") else client


def snapshot_days(
    client: YahooClient, data_cfg: dict, bars: pd.DataFrame | None, now: dt.datetime | None
) -> list[dt.date]:
    """The days whose chains this fetch files: every recorded day of a replay inside [start, end], else today's
    trading day: the date of the last bar Yahoo listed (even a partial one), or without bars New York's trading day
    at `now`, by default when the client quotes (the clock it reads: the wall clock live, a recording's own time
    replayed)."""
    if isinstance(client, ReplayClient):
        start, end = data_cfg.get("start"), data_cfg.get("end")
        days = [
            day
            for day in client.recorded_days(data_cfg["ticker"])
            if (not start or day >= pd.Timestamp(start).date()) and (not end or day <= pd.Timestamp(end).date())
        ]
        if not days:
            raise FetchError(f"{client.root}: no recorded {data_cfg['ticker']} chains between {start} and {end}")
        return days
    if bars is not None:
        return [bars["date"].iloc[-1].date()]
    return [market_today(now or client.quote_time(data_cfg["ticker"]))]


def load(
    data_cfg: dict,
    seed: int,
    client: YahooClient | None = None,
    now: dt.datetime | None = None,
    sleep: Sleep = time.sleep,
) -> MarketData:
    """Bars between start and end, the chains of today (or of every recorded day) and the volatility indices."""
    del seed  # live data is not random
    ticker = data_cfg["ticker"]
    client = client or yahoo_client(data_cfg)
    policy = RetryPolicy(**data_cfg.get("retry", {}))
    bars, prices, bars_error, report = None, None, None, {}
    try:
        bars, prices, report = yahoo_bars(data_cfg, client, sleep)
    except FetchError as exc:
        bars_error = exc
    closes = prices.set_index("date")["close"] if prices is not None else pd.Series(index=pd.DatetimeIndex([]))
    horizon = int(data_cfg["chains"]["horizon_days"])
    chains, chain_reports = [], {}
    for day in snapshot_days(client, data_cfg, bars, now):
        last_close = closes[closes.index <= pd.Timestamp(day)]
        try:
            chain, chain_reports[f"{day}"] = fetch_chains(
                client.on(day), ticker, day, horizon, float(last_close.iloc[-1]) if len(last_close) else None,
                policy, sleep,
            )  # fmt: skip
            chains.append(chain)
        except FetchError as exc:
            log.warning("no %s chain stored for %s: %s", ticker, day, exc)
            chain_reports[f"{day}"] = {"failed": str(exc)}
    all_chains = pl.concat(chains) if chains else None
    if bars_error is not None:
        raise BarsFailedError(f"{bars_error}", all_chains) from bars_error
    if all_chains is None:
        failures = "; ".join(f"{day}: {r['failed']}" for day, r in chain_reports.items())
        raise FetchError(f"no {ticker} option chain arrived ({failures})")
    vol_indices, index_report = fetch_vol_indices(client, list(data_cfg.get("vol_indices") or []), data_cfg,
                                                  policy, sleep)  # fmt: skip
    days = sorted(chain_reports)
    return MarketData(
        prices=prices,
        chains=all_chains,
        description=f"Yahoo Finance {ticker}: bars, volatility indices and the chains of "
        + (days[0] if len(days) == 1 else f"{len(days)} days {days[0]}..{days[-1]}")
        + (f" (replayed from {data_cfg['replay_dir']})" if data_cfg.get("replay_dir") else ""),
        vol_indices=vol_indices,
        report={**report, "chains": chain_reports, "vol_indices": index_report},
    )
