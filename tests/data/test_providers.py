from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import polars as pl
import pytest

from spyglass.data import load_market_data
from spyglass.data.chain_simulator import nice_step
from spyglass.data.sample import arch_bars
from spyglass.schemas import OptionChainSchema, PricesSchema, validate


def test_sample_bars_are_the_real_sp500_and_nasdaq_histories():
    sp500, nasdaq = arch_bars("^GSPC"), arch_bars("^IXIC")
    for bars in (sp500, nasdaq):
        assert len(bars) == 5031
        assert bars["date"].iloc[0] == pd.Timestamp("1999-01-04")
        assert bars["date"].iloc[-1] == pd.Timestamp("2018-12-31")
        validate(bars, PricesSchema, "arch bars")
    assert sp500["close"].iloc[-1] == pytest.approx(2506.85, abs=0.01)  # the S&P 500 and the NASDAQ Composite
    assert nasdaq["close"].iloc[-1] == pytest.approx(6635.28, abs=0.01)  # closed 2018 at these levels
    with pytest.raises(ValueError, match="no bars for 'SPY'; it ships \\^GSPC, \\^IXIC"):
        arch_bars("SPY")


def test_sample_provider_windows_bars_and_simulates_chains_after_calibration(small_cfg):
    data_cfg = {**small_cfg["data"], "source": "sample", "ticker": "^GSPC", "start": "2006-01-03", "end": "2009-06-30"}
    market = load_market_data(data_cfg, seed=1)
    assert market.prices["date"].min() >= pd.Timestamp("2006-01-03")
    assert market.prices["date"].max() <= pd.Timestamp("2009-06-30")
    chains = validate(market.chains, OptionChainSchema, "sample chains")
    snapshots = chains["snapshot_date"].unique().sort()
    calibration = data_cfg["chains"]["calibration_days"]
    assert snapshots[0] == market.prices["date"].iloc[calibration].date()
    assert len(snapshots) == len(market.prices) - calibration
    assert "simulated" in market.description
    # stamped at the New York close: 21:00 UTC in winter, 20:00 UTC in summer
    times = chains.select(pl.col("snapshot_date"), hour=pl.col("snapshot_time").dt.hour()).unique()
    assert set(times.filter(pl.col("snapshot_date").dt.month() == 1)["hour"]) == {21}
    assert set(times.filter(pl.col("snapshot_date").dt.month() == 7)["hour"]) == {20}


def test_chain_shape_and_realistic_quotes(synthetic_market, small_cfg):
    chains = synthetic_market.chains
    spec = small_cfg["data"]["chains"]
    day = chains.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max())
    expiries = day["expiry"].unique().sort()
    fridays = [e for e in expiries if e.weekday() == 4]
    assert fridays == expiries.to_list() and len(expiries) >= spec["weeklies"]  # every expiry a Friday
    assert (chains["ask"] >= chains["bid"]).all() and ((chains["bid"] * 100).round(6) % 1 == 0).all()  # cents
    assert set(chains["option_type"].unique()) == {"call", "put"}
    assert (chains["volume"] >= 0).all() and (chains["open_interest"] > 0).any()
    # Each expiry's strikes sit on one grid, and a strike once listed stays listed until the expiry.
    for expiry in expiries:
        strikes = chains.filter(pl.col("expiry") == expiry).group_by("snapshot_date").agg(pl.col("strike"))
        listed = [set(s) for s in strikes.sort("snapshot_date")["strike"].to_list()]
        assert all(a <= b for a, b in itertools.pairwise(listed))
    # The skew: 30-day OTM puts carry a higher IV than OTM calls of the same distance.
    spot = day["underlying_price"][0]
    month = day.filter((pl.col("expiry") - pl.col("snapshot_date")).dt.total_days().is_between(20, 60))
    low = month.filter(pl.col("strike") < spot * 0.96)["provider_iv"].mean()
    high = month.filter(pl.col("strike") > spot * 1.04)["provider_iv"].mean()
    assert low > high


def test_same_seed_same_data_other_seed_other_chains(small_cfg):
    a = load_market_data(small_cfg["data"], seed=5)
    b = load_market_data(small_cfg["data"], seed=5)
    c = load_market_data(small_cfg["data"], seed=6)
    pd.testing.assert_frame_equal(a.prices, b.prices)
    assert a.chains.equals(b.chains)
    assert not a.chains["bid"].equals(c.chains["bid"])


def test_nice_step_rounds_to_1_2_5():
    np.testing.assert_allclose(nice_step(np.array([0.9, 1.4, 2.9, 4.0, 8.0, 12.0, 25.0])), [1, 1, 2, 5, 10, 10, 20])


def test_unknown_source_lists_the_choices(small_cfg):
    with pytest.raises(ValueError, match="choose one of"):
        load_market_data({**small_cfg["data"], "source": "bloomberg"}, seed=0)


def test_too_short_history_for_calibration_is_explained(small_cfg):
    data_cfg = {**small_cfg["data"], "end": "2010-06-30"}
    with pytest.raises(ValueError, match="calibration"):
        load_market_data(data_cfg, seed=0)
