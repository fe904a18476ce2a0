"""Simulated chains that look like the market: the calibration re-derived from CBOE's real chain, the sample's
chains against the realism targets, and the simulation causal (a chain at t never sees a price after t)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
import yaml

from spyglass.config import compose, select_ticker, to_plain
from spyglass.data import load_market_data
from spyglass.data.chain_calibration import calibrate, location
from spyglass.data.simulated import with_simulated_chains
from spyglass.options.features import options_feature_table

CALIBRATION = "conf/data/calibration/spx_2022-12-12.yaml"


def test_the_committed_calibration_is_what_the_real_chain_gives(spx_quotedata, repo_root):
    from spyglass.data.cboe import read_cboe_quotedata

    committed = yaml.safe_load((repo_root / CALIBRATION).read_text())
    assert calibrate(read_cboe_quotedata(spx_quotedata), 0.04, 0.015) == committed
    assert committed["put_call_oi_ratio"] > committed["put_call_volume_ratio"] > 1  # puts are held longer
    assert committed["volume_z"]["put"]["center"] < 0 < committed["volume_z"]["call"]["center"]
    roundness = committed["roundness"]["open_interest"]
    assert roundness["every_100"] > roundness["every_25"] > 1
    assert [fit["skew"] < 0 for fit in committed["smile"]] == [True] * 4  # a put skew at every maturity


def test_location_of_a_normal_sample_is_its_center_and_sd():
    z = np.random.default_rng(0).normal(0.5, 2.0, 50_000)
    where = location(pl.DataFrame({"z": z, "volume": np.ones_like(z)}), "volume")
    assert where["center"] == pytest.approx(0.5, abs=0.05) and where["width"] == pytest.approx(2.0, abs=0.05)
    assert where["low"] == pytest.approx(0.5 - 1.96 * 2.0, abs=0.1)
    heavy = location(pl.DataFrame({"z": [0.0, 1.0], "volume": [1.0, 99.0]}), "volume")
    assert heavy["center"] > 0.9  # the weights, not the count of rows, decide


@pytest.fixture(scope="module")
def sample_features() -> pd.DataFrame:
    """The options features of the default sample data's simulated chains (what `make run` trains on)."""
    cfg = select_ticker(to_plain(compose([])))
    market = load_market_data(cfg["data"], cfg["seed"])
    features, _ = options_feature_table(market.chains, cfg["data"], cfg["features"]["options"])
    return features.assign(date=pd.to_datetime(features["date"]))


def test_the_gamma_flip_is_there_on_most_days_and_near_spot(sample_features):
    assert sample_features["gamma_flip"].notna().mean() >= 0.8
    distance = (sample_features["gamma_flip"] / sample_features["spot"] - 1).abs()
    assert (distance < 0.05).mean() > 0.5


def test_dealer_gamma_is_negative_through_october_2008_and_after_the_late_2018_fall(sample_features):
    gex = sample_features.set_index("date")["gex_usd_per_pct"]
    assert (gex["2008-10-01":"2008-10-31"] < 0).all()
    assert (gex["2018-12-17":"2018-12-31"] < 0).all()
    assert (gex["2017-01-01":"2017-12-31"] > 0).mean() > 0.9  # a calm year: dealers long gamma


def test_put_call_ratios_of_volume_and_open_interest_are_different_series(sample_features):
    assert sample_features["pcr_volume"].corr(sample_features["pcr_oi"]) < 0.9
    assert 1.3 <= sample_features["pcr_oi"].median() <= 2.0


def test_skew_steepens_when_volatility_is_high(sample_features):
    high_vol = sample_features["iv_atm_30d"] > sample_features["iv_atm_30d"].quantile(0.8)
    low_vol = sample_features["iv_atm_30d"] < sample_features["iv_atm_30d"].quantile(0.2)
    assert sample_features.loc[high_vol, "iv_skew_30d"].median() > sample_features.loc[low_vol, "iv_skew_30d"].median()


def test_call_and_put_walls_differ_on_most_days(sample_features):
    assert (sample_features["call_wall"] != sample_features["put_wall"]).mean() >= 0.8
    assert (sample_features["put_wall"] <= sample_features["spot"]).all()
    assert (sample_features["call_wall"] >= sample_features["spot"]).all()


def test_dealer_gamma_turns_negative_as_the_real_vix_rises(sample_features, vix_csv):
    """The sign of dealer gamma follows volatility, as on the real chain (negative at VIX 25): never negative
    on calm days, negative on most days above VIX 30 and on nearly all above 40, more often negative in each
    higher band. So the share of positive days lies between the shares of 1999-2018's days with VIX below 20
    and below 30: the issue's 40-80 % cannot hold on a sample where VIX closed below 20 on two days in three."""
    vix = pd.read_csv(vix_csv, parse_dates=["DATE"]).set_index("DATE")["CLOSE"].rename("vix")
    days = sample_features.set_index("date")[["gex_usd_per_pct"]].join(vix, how="inner")
    negative = (days["gex_usd_per_pct"] < 0).groupby(pd.cut(days["vix"], [0, 15, 20, 25, 30, 40, 100])).mean()
    assert negative.iloc[0] <= 0.02 and negative.iloc[-2] > 0.5 and negative.iloc[-1] >= 0.9
    assert negative.is_monotonic_increasing
    positive = (days["gex_usd_per_pct"] > 0).mean()
    assert (days["vix"] < 20).mean() < positive < (days["vix"] < 30).mean()


def test_a_chain_never_depends_on_prices_after_its_day(synthetic_market, small_cfg):
    prices = synthetic_market.prices
    cut = prices["date"].iloc[-60]
    changed = prices.copy()
    later = changed["date"] > cut
    changed.loc[later, ["open", "high", "low", "close", "adj_close"]] *= 1.3  # a jump after the cut
    original, again = (with_simulated_chains(bars, small_cfg["data"], small_cfg["seed"], "test").chains
                       for bars in (prices, changed))  # fmt: skip
    before = pl.col("snapshot_date") <= cut.date()
    assert again.filter(before).equals(original.filter(before))
    assert not again.filter(~before).equals(original.filter(~before))
