"""Features of the implied-volatility indices: scale-free, known at close t, short histories left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import good_prices
from spyglass.features.vol_index import VolIndexSpec, vol_index_features

SPEC = VolIndexSpec(min_coverage=0.8, forward_fill_limit=2, realised_window=5, change_windows=(1,), zscore_window=10)


def bars(n: int) -> pd.DataFrame:
    prices = good_prices(n)
    close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, n)))
    return prices.assign(open=close, high=close * 1.01, low=close * 0.99, close=close, adj_close=close)


def test_each_feature_against_its_formula():
    prices = bars(60)
    indices = pd.DataFrame({"date": prices["date"], "vix_9d": 18.0, "vix_30d": np.linspace(15, 30, 60),
                            "vix_91d": 20.0, "vvix": 90.0, "skew": 130.0})  # fmt: skip
    table, report = vol_index_features(indices, prices, SPEC)
    row = table.iloc[-1]
    vix = np.linspace(15, 30, 60)
    log_ret = np.diff(np.log(prices["adj_close"].to_numpy()))
    assert row["vix_level"] == pytest.approx(0.30)
    assert row["vix_ratio_9d_30d"] == pytest.approx(18 / 30) and row["vix_ratio_30d_91d"] == pytest.approx(30 / 20)
    assert row["vrp_30d"] == pytest.approx(0.09 - np.mean(log_ret[-5:] ** 2) * 252)
    assert row["vol_of_vol"] == pytest.approx(3.0) and row["skew_index"] == pytest.approx(3.0)
    assert row["vix_change_1d"] == pytest.approx(np.log(vix[-1] / vix[-2]))
    assert row["vix_z_10d"] == pytest.approx((vix[-1] - vix[-10:].mean()) / vix[-10:].std(ddof=1))
    assert "vix_ratio_30d_182d" not in table  # no 182-day index: no feature that needs it
    # warm-up dropped, not filled: the 5-day realised variance needs 5 returns (row 5); the 10-day z-score half its
    # window (row 4)
    assert table["date"].iloc[0] == prices["date"].iloc[5]
    assert table["vix_z_10d"].iloc[0] == pytest.approx((vix[5] - vix[:6].mean()) / vix[:6].std(ddof=1))
    assert report == {c: 1.0 for c in ("vix_9d", "vix_30d", "vix_91d", "vvix", "skew")}


def test_row_t_uses_nothing_after_t():
    prices = bars(60)
    indices = pd.DataFrame({"date": prices["date"], "vix_30d": np.linspace(15, 30, 60)})
    full, _ = vol_index_features(indices, prices, SPEC)
    changed = indices.assign(vix_30d=np.where(indices.index > 40, 80.0, indices["vix_30d"]))
    shocked = prices.assign(adj_close=np.where(prices.index > 40, prices["adj_close"] * 2, prices["adj_close"]))
    later, _ = vol_index_features(changed, shocked, SPEC)
    cut = full["date"] <= prices["date"].iloc[40]
    pd.testing.assert_frame_equal(full[cut], later[cut])
    assert not np.allclose(full[~cut].drop(columns="date"), later[~cut].drop(columns="date"))


def test_a_short_index_is_left_out_and_gaps_are_filled_forward_only_a_little(caplog):
    prices = bars(100)
    vix = pd.Series(np.linspace(15.0, 25.0, 100))
    vix[50:53] = np.nan  # three days without a print: two are carried forward, the third stays missing
    indices = pd.DataFrame({"date": prices["date"], "vix_30d": vix, "vix_9d": np.r_[np.full(70, np.nan),
                                                                                    np.full(30, 19.0)]})  # fmt: skip
    table, report = vol_index_features(indices, prices, SPEC)
    assert report["vix_9d"].startswith("left out: covers 30% of the bar dates (from 2020-")
    assert "vix_ratio_9d_30d" not in table and "volatility index vix_9d left out" in caplog.text
    level = table.set_index("date")["vix_level"]
    day = prices["date"]
    assert level[day.iloc[50]] == level[day.iloc[51]] == pytest.approx(vix[49] / 100)  # carried two days
    assert np.isnan(level[day.iloc[52]]) and level[day.iloc[53]] == pytest.approx(vix[53] / 100)


def test_no_indices_gives_an_empty_table():
    table, report = vol_index_features(pd.DataFrame({"date": pd.to_datetime([])}), bars(30), SPEC)
    assert list(table.columns) == ["date"] and table.empty and report == {}
