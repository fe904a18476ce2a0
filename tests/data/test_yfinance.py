"""The yfinance provider against recorded responses of the real shape; no network."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import polars as pl
import pytest
from yfinance.exceptions import YFRateLimitError

from spyglass.data import yfinance as provider
from spyglass.data.yahoo import FetchError, RetryPolicy, market_today, with_retries
from spyglass.data.yfinance import BarsFailedError, standardise_bars
from spyglass.schemas import OptionChainSchema, PricesSchema, VolIndicesSchema, validate
from yahoo_recordings import QUOTED, SPOT, TODAY, RecordedYahoo, download_frame, history_frame

pytestmark = pytest.mark.any_date  # recordings keep their own clock: the tests must pass on any date

CFG = {"ticker": "SPY", "start": "2026-01-01", "end": None, "chains": {"horizon_days": 60},
       "retry": {"attempts": 3, "base_delay": 2.0, "max_delay": 30.0}}  # fmt: skip


def load(client, sleeps=None):
    return provider.load(CFG, 0, client=client, sleep=(sleeps.append if sleeps is not None else lambda s: None))


@pytest.mark.parametrize("raw", [history_frame(), download_frame(), history_frame(with_adj_close=False)],
                         ids=["history", "download-multiindex", "no-adj-close"])  # fmt: skip
def test_bars_are_standardised_whatever_the_shape(raw):
    bars = validate(standardise_bars(raw, "SPY"), PricesSchema, "yahoo")
    assert list(bars.columns) == ["date", "open", "high", "low", "close", "adj_close", "volume"]
    assert bars["date"].iloc[-1] == TODAY and bars["date"].dt.tz is None
    expected_adj = (
        raw.get("Adj Close", raw["Close"]) if not isinstance(raw.columns, pd.MultiIndex) else raw["Adj Close"]["SPY"]
    )
    np.testing.assert_allclose(bars["adj_close"], np.asarray(expected_adj).ravel())


def test_missing_bar_columns_are_named():
    with pytest.raises(FetchError, match=r"lack column\(s\) \['volume'\]"):
        standardise_bars(history_frame().drop(columns="Volume"), "SPY")


def test_load_keeps_every_expiry_within_the_horizon_with_real_quirks():
    market = load(RecordedYahoo())
    chains = validate(market.chains, OptionChainSchema, "yahoo chains")
    assert market.report["chains"]["2026-11-24"]["expiries_fetched"] == 3
    assert sorted(chains["expiry"].unique().cast(pl.Utf8).to_list()) == ["2026-11-27", "2026-12-19", "2027-01-15"]
    assert (chains["snapshot_date"] == TODAY.date()).all() and (chains["underlying_price"] == SPOT).all()
    assert chains["volume"].null_count() > 0  # NaN volume arrives as missing, not zero
    assert (chains["open_interest"] == 0).any() and (chains["bid"] == 0).any()
    assert set(chains["option_type"].unique()) == {"call", "put"}
    assert (chains["last_trade_date"] == TODAY.date()).all()
    assert chains["snapshot_time"].null_count() == 0 and chains.schema["snapshot_time"] == pl.Datetime("us", "UTC")


def test_rate_limits_are_retried_with_exponential_backoff():
    sleeps: list[float] = []
    client = RecordedYahoo(history_errors=[YFRateLimitError(), YFRateLimitError()])
    market = load(client, sleeps)
    assert sleeps == [2.0, 4.0]
    assert client.calls[:3] == ["history SPY"] * 3 and len(market.prices) == 30


def test_network_down_gives_a_clear_error_after_the_retries():
    sleeps: list[float] = []
    client = RecordedYahoo(history_errors=[ConnectionError("Failed to resolve query1.finance.yahoo.com")] * 5)
    with pytest.raises(FetchError, match=r"SPY price history: failed after 3 attempt\(s\): ConnectionError: Failed"):
        load(client, sleeps)
    assert sleeps == [2.0, 4.0]


def test_backoff_is_capped():
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=5, base_delay=10.0, max_delay=25.0)
    with pytest.raises(FetchError):
        with_retries(lambda: (_ for _ in ()).throw(TimeoutError("slow")), "x", policy, sleeps.append)
    assert sleeps == [10.0, 20.0, 25.0, 25.0]


def test_empty_history_is_explained():
    with pytest.raises(FetchError, match="Yahoo returned no price history for SPY between 2026-01-01 and today"):
        load(RecordedYahoo(history=history_frame().iloc[0:0]))


def test_incomplete_or_vanished_expiries_are_skipped_and_the_rest_kept(caplog):
    client = RecordedYahoo(
        empty_expiries={"2026-11-27"},
        chain_errors={"2026-12-19": ValueError("Expiration `2026-12-19` cannot be found.")},
    )
    market = load(client)
    assert market.chains["expiry"].unique().cast(pl.Utf8).to_list() == ["2027-01-15"]
    assert "skipping SPY expiry 2026-11-27: incomplete chain" in caplog.text
    assert "skipping SPY expiry 2026-12-19" in caplog.text


def test_no_complete_chain_at_all_is_an_error():
    client = RecordedYahoo(empty_expiries={"2026-11-27", "2026-12-19", "2027-01-15"})
    with pytest.raises(FetchError, match="no complete SPY option chain arrived for any of 3 expiries"):
        load(client)


def test_no_expiry_within_the_horizon_is_an_error():
    with pytest.raises(FetchError, match="lists no SPY option expiry within 60 days"):
        load(RecordedYahoo(expiries=("2027-06-18",)))


def test_risk_free_rate_from_a_yahoo_rate_ticker():
    class WithRate(RecordedYahoo):
        def history(self, ticker, start, end):
            if ticker == "^IRX":
                frame = history_frame(10)
                frame[["Open", "High", "Low", "Close", "Adj Close"]] = 4.2  # percent per year
                return frame
            return super().history(ticker, start, end)

    cfg = {**CFG, "risk_free_ticker": "^IRX", "risk_free_rate": 0.01}
    market = provider.load(cfg, 0, client=WithRate(), sleep=lambda s: None)
    validate(market.prices, PricesSchema, "yahoo")
    rates = market.prices["risk_free_daily"].to_numpy()
    np.testing.assert_allclose(rates[-10:], 0.042 / 252)
    np.testing.assert_allclose(rates[:20], 0.01 / 252)  # before the first quote: the constant, never a later rate
    assert "risk_free_daily" not in load(RecordedYahoo()).prices  # null ticker: the constant rate applies


def test_an_odd_answer_from_yfinance_becomes_a_clear_error_without_retries():
    sleeps: list[float] = []
    client = RecordedYahoo(history_errors=[TypeError("argument of type 'NoneType' is not iterable")])
    with pytest.raises(FetchError, match=r"SPY price history: failed after 1 attempt\(s\): TypeError: argument"):
        load(client, sleeps)
    assert sleeps == []


def test_the_first_error_is_reported_when_a_later_attempt_fails_differently():
    client = RecordedYahoo(history_errors=[ConnectionError("Could not resolve host"), KeyError("tz")])
    with pytest.raises(
        FetchError, match=r"failed after 2 attempt\(s\): ConnectionError: Could not resolve host; then KeyError"
    ):
        load(client)


def index_history(level: float, days: int = 30) -> pd.DataFrame:
    frame = history_frame(days)
    frame[["Open", "High", "Low", "Close", "Adj Close"]] = level
    frame["Volume"] = 0.0
    return frame


def test_a_nan_volume_is_carried_forward_and_a_partial_last_bar_dropped_but_the_chain_kept(caplog):
    raw = history_frame()
    raw.iloc[10, raw.columns.get_loc("Volume")] = np.nan
    raw.iloc[-1, raw.columns.get_loc("Close")] = np.nan  # today's bar, still forming
    market = load(RecordedYahoo(history=raw))
    prices = validate(market.prices, PricesSchema, "yahoo")
    assert len(prices) == 29 and prices["volume"].iloc[10] == prices["volume"].iloc[9]
    assert market.report["bars_dropped"] == ["2026-11-24"] and len(market.report["volumes_filled"]) == 1
    # the chain is filed under the day Yahoo listed, not the last complete bar
    assert market.chains["snapshot_date"].unique().to_list() == [TODAY.date()]
    assert "dropped 1 bar(s) without prices" in caplog.text


def test_an_expiry_missing_a_column_is_skipped_and_the_rest_kept(caplog):
    market = load(RecordedYahoo(missing_columns={"2026-12-19": ["openInterest"]}))
    assert sorted(market.chains["expiry"].unique().cast(pl.Utf8).to_list()) == ["2026-11-27", "2027-01-15"]
    skipped = market.report["chains"]["2026-11-24"]["expiries_skipped"]
    assert skipped == {"2026-12-19": "answer lacks column(s) ['openInterest']"}
    assert "skipping SPY expiry 2026-12-19: answer lacks column(s) ['openInterest']" in caplog.text


def test_a_truncated_json_answer_is_retried():
    sleeps: list[float] = []
    broken = json.JSONDecodeError("Expecting value", "", 0)
    client = RecordedYahoo(chain_transient={"2026-12-19": [broken]})
    market = load(client, sleeps)
    assert client.calls.count("chain 2026-12-19") == 2 and sleeps == [2.0]
    assert market.chains["expiry"].n_unique() == 3


def test_a_missing_underlying_price_falls_back_to_the_last_close():
    market = load(RecordedYahoo(underlying={"regularMarketPrice": float("nan")}))
    last_close = market.prices["close"].iloc[-1]
    assert market.chains["underlying_price"].unique().to_list() == [pytest.approx(last_close)]


def test_an_expiry_listed_twice_is_fetched_once(caplog):
    client = RecordedYahoo(expiries=("2026-11-27", "2026-12-19", "2026-11-27"))
    market = load(client)
    assert client.calls.count("chain 2026-11-27") == 1 and market.chains["expiry"].n_unique() == 2
    assert market.report["chains"]["2026-11-24"]["expiries_listed"] == 3
    assert "listed 1 expiries twice" in caplog.text


def test_failed_bars_still_hand_over_the_chain():
    client = RecordedYahoo(history_errors=[ConnectionError("reset by peer")] * 5)
    with pytest.raises(BarsFailedError, match="SPY price history: failed after 3 attempt") as failure:
        load(client)
    chains = validate(failure.value.chains, OptionChainSchema, "yahoo chains")
    assert chains["expiry"].n_unique() == 3
    # no bars: filed under New York's trading day when Yahoo quoted (the recording's clock, not the wall clock)
    assert (chains["snapshot_date"] == market_today(QUOTED)).all() and market_today(QUOTED) == TODAY.date()


def test_volatility_indices_present_are_kept_and_missing_ones_left_out(caplog):
    cfg = {**CFG, "vol_indices": ["^VIX", "^VIX3M", "^VVIX"]}
    client = RecordedYahoo(indices={"^VIX": index_history(18.0), "^VIX3M": index_history(20.0)})
    market = provider.load(cfg, 0, client=client, sleep=lambda s: None)
    indices = validate(market.vol_indices, VolIndicesSchema, "yahoo indices")
    assert list(indices.columns) == ["date", "vix_30d", "vix_91d"]
    assert indices["vix_30d"].eq(18.0).all() and len(indices) == 30
    assert market.report["vol_indices"]["^VVIX"].startswith("left out")
    assert "volatility index ^VVIX left out" in caplog.text


def test_market_today_is_new_york_s_trading_day():
    assert market_today(dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 23)  # 22:00 in NY
    assert market_today(dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 27)  # Sunday
