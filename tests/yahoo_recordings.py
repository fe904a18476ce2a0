"""Responses of the real yfinance shapes (column lists as yfinance 1.7 returns them), for offline tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
from yfinance.exceptions import YFPricesMissingError

from spyglass.data.yahoo_replay import Options  # the shape of yfinance's option_chain answer

OPTION_COLUMNS = ["contractSymbol", "lastTradeDate", "strike", "lastPrice", "bid", "ask", "change", "percentChange",
                  "volume", "openInterest", "impliedVolatility", "inTheMoney", "contractSize", "currency"]  # fmt: skip
SPOT = 600.0
TODAY = pd.Timestamp("2026-11-24")
QUOTED = dt.datetime(2026, 11, 24, 21, 5, tzinfo=dt.UTC)  # after the close, New York


def history_frame(days: int = 30, with_adj_close: bool = True, end: pd.Timestamp = TODAY) -> pd.DataFrame:
    """`Ticker.history(auto_adjust=False)`: tz-aware index named Date, title-case columns, last bar on `end`,
    closing at SPOT (the price the recorded chains quote the underlying at)."""
    index = pd.bdate_range(end=end, periods=days, tz="America/New_York", name="Date")
    walk = np.cumsum(np.random.default_rng(0).normal(0, 0.01, days))
    close = SPOT * np.exp(walk - walk[-1])
    frame = pd.DataFrame(
        {"Open": close * 0.999, "High": close * 1.004, "Low": close * 0.995, "Close": close,
         "Adj Close": close * 0.98, "Volume": np.full(days, 5e7)},
        index=index,
    )  # fmt: skip
    return frame if with_adj_close else frame.drop(columns="Adj Close")


def download_frame(ticker: str = "SPY") -> pd.DataFrame:
    """`yf.download` shape: MultiIndex columns (Price, Ticker)."""
    frame = history_frame()
    frame.columns = pd.MultiIndex.from_product([frame.columns, [ticker]], names=["Price", "Ticker"])
    return frame


def option_side(expiry: str, option_type: str) -> pd.DataFrame:
    """One side of `Ticker.option_chain(expiry)`: NaN volumes, zero open interest, zero bid/ask, absurd IV rows."""
    strikes = np.arange(560.0, 641.0, 10.0)
    n = len(strikes)
    letter = "C" if option_type == "call" else "P"
    intrinsic = np.maximum(SPOT - strikes, 0) if option_type == "call" else np.maximum(strikes - SPOT, 0)
    mid = intrinsic + 8.0
    frame = pd.DataFrame(
        {
            "contractSymbol": [f"SPY{expiry.replace('-', '')[2:]}{letter}{int(k * 1000):08d}" for k in strikes],
            "lastTradeDate": pd.to_datetime([TODAY + pd.Timedelta(hours=20)] * n, utc=True),
            "strike": strikes,
            "lastPrice": mid,
            "bid": mid - 0.1,
            "ask": mid + 0.1,
            "change": 0.0,
            "percentChange": 0.0,
            "volume": np.where(np.arange(n) % 3 == 0, np.nan, 100.0),
            "openInterest": np.where(np.arange(n) == 1, 0, 1000).astype(np.int64),
            "impliedVolatility": np.where(np.arange(n) == 2, 0.0, np.where(np.arange(n) == 3, 7.5, 0.18)),
            "inTheMoney": intrinsic > 0,
            "contractSize": "REGULAR",
            "currency": "USD",
        },
        columns=OPTION_COLUMNS,
    )
    frame.loc[4, ["bid", "ask"]] = 0.0  # no two-sided quote: priced from the last trade
    return frame


class RecordedYahoo:
    """A YahooClient replaying recorded shapes; failures are scripted per call."""

    def __init__(self, expiries=("2026-11-27", "2026-12-19", "2027-01-15", "2027-06-18"), history=None,
                 history_errors=(), chain_errors=None, empty_expiries=(), indices=None, chain_transient=None,
                 missing_columns=None, underlying=None, quoted=QUOTED):  # fmt: skip
        self._expiries = tuple(expiries)
        self._history = history_frame() if history is None else history
        self.history_errors = list(history_errors)  # raised one per call, in order, before answering
        self.chain_errors = dict(chain_errors or {})  # expiry -> exception raised every time
        self.chain_transient = {k: list(v) for k, v in (chain_transient or {}).items()}  # expiry -> raised once each
        self.empty_expiries = set(empty_expiries)
        self.missing_columns = dict(missing_columns or {})  # expiry -> columns absent from its answer
        self.indices = dict(indices or {})  # other tickers' histories (^VIX, ...); any other raises like Yahoo
        self.underlying = {"regularMarketPrice": SPOT} if underlying is None else underlying
        self.quoted = quoted  # the recording's clock: when Yahoo quoted its chains
        self.calls: list[str] = []

    def history(self, ticker, start, end):
        self.calls.append(f"history {ticker}")
        if ticker in self.indices:
            return self.indices[ticker]
        if ticker.startswith("^"):
            raise YFPricesMissingError(ticker, "")
        if self.history_errors:
            raise self.history_errors.pop(0)
        return self._history

    def on(self, day):
        return self

    def quote_time(self, ticker):
        return self.quoted

    def expiries(self, ticker):
        self.calls.append("expiries")
        return self._expiries

    def option_chain(self, ticker, expiry):
        self.calls.append(f"chain {expiry}")
        if expiry in self.chain_errors:
            raise self.chain_errors[expiry]
        if self.chain_transient.get(expiry):
            raise self.chain_transient[expiry].pop(0)
        if expiry in self.empty_expiries:
            return Options(option_side(expiry, "call"), pd.DataFrame(columns=OPTION_COLUMNS), self.underlying)
        absent = self.missing_columns.get(expiry, [])
        calls, puts = (option_side(expiry, side).drop(columns=absent) for side in ("call", "put"))
        return Options(calls, puts, self.underlying)


def yahoo_history(bars: pd.DataFrame) -> pd.DataFrame:
    """Daily bars (PricesSchema) in the shape `Ticker.history(auto_adjust=False)` answers."""
    index = pd.DatetimeIndex(bars["date"]).tz_localize("America/New_York").rename("Date")
    columns = {"open": "Open", "high": "High", "low": "Low", "close": "Close", "adj_close": "Adj Close",
               "volume": "Volume"}  # fmt: skip
    return bars[list(columns)].rename(columns=columns).set_axis(index)


def vix_history(vix_csv) -> pd.DataFrame:
    """CBOE's VIX file (DATE, OPEN, HIGH, LOW, CLOSE) as Yahoo answers ^VIX: no volume, Adj Close = Close."""
    raw = pd.read_csv(vix_csv, parse_dates=["DATE"])
    bars = raw.rename(columns=str.lower).rename(columns={"date": "date"})
    return yahoo_history(bars.assign(adj_close=bars["close"], volume=0.0))


def yahoo_quotes(quotes: pl.DataFrame, ticker: str) -> pd.DataFrame:
    """Calls or puts (OptionChainSchema rows) in the columns `Ticker.option_chain` answers with."""
    frame = quotes.to_pandas()
    kind = np.where(frame["option_type"] == "call", "C", "P")
    spot = frame["underlying_price"]
    in_the_money = np.where(kind == "C", frame["strike"] < spot, frame["strike"] > spot)
    expiry = pd.to_datetime(frame["expiry"]).dt.strftime("%y%m%d")
    return pd.DataFrame(
        {
            "contractSymbol": ticker
            + expiry
            + kind
            + (frame["strike"] * 1000).round().astype(np.int64).map("{:08d}".format),
            "lastTradeDate": pd.to_datetime(frame["last_trade_date"]).dt.tz_localize("UTC") + pd.Timedelta(hours=20),
            "strike": frame["strike"],
            "lastPrice": frame["last"],
            "bid": frame["bid"],
            "ask": frame["ask"],
            "change": 0.0,
            "percentChange": 0.0,
            "volume": frame["volume"],
            "openInterest": frame["open_interest"].fillna(0).astype(np.int64),
            "impliedVolatility": frame["provider_iv"].fillna(0.0),
            "inTheMoney": in_the_money,
            "contractSize": "REGULAR",
            "currency": "USD",
        },
        columns=OPTION_COLUMNS,
    )


def record_chains(root, ticker: str, chains: pl.DataFrame, horizon_days: int) -> list[dt.date]:
    """Record each snapshot of `chains` as the day's Yahoo answers (every expiry listed, those within the
    horizon fetched, quoted at 21:00 UTC); returns the recorded days."""
    from spyglass.data.yahoo_replay import write_chain_answer, write_chain_side

    days = []
    chains = chains.sort("snapshot_date", "expiry", "option_type", "strike")
    fetched = chains.filter((pl.col("expiry") - pl.col("snapshot_date")).dt.total_days() <= horizon_days)
    answers = yahoo_quotes(fetched, ticker)  # every side of every day at once, split below
    keys = fetched.select("snapshot_date", "expiry", "option_type").with_row_index()
    bounds = keys.group_by("snapshot_date", "expiry", "option_type", maintain_order=True).agg(
        first=pl.col("index").first(), last=pl.col("index").last()
    )
    sides: dict[tuple, pd.DataFrame] = {}
    for day, expiry, option_type, first, last in bounds.iter_rows():
        sides[day, expiry, option_type] = answers.iloc[first : last + 1].reset_index(drop=True)
    for (day,), snapshot in chains.group_by("snapshot_date", maintain_order=True):
        listed = [f"{e:%Y-%m-%d}" for e in snapshot["expiry"].unique().sort()]
        for expiry in snapshot["expiry"].unique().sort():
            if (day, expiry, "call") in sides:
                write_chain_side(root, day, ticker, f"{expiry:%Y-%m-%d}", sides[day, expiry, "call"],
                                 sides[day, expiry, "put"])  # fmt: skip
        spot = float(snapshot["underlying_price"][0])
        quoted = dt.datetime.combine(day, dt.time(21, 0), tzinfo=dt.UTC)
        write_chain_answer(root, day, ticker, listed, {"regularMarketPrice": spot}, quoted)
        days.append(day)
    return days
