from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.features.assemble import TierPolicy, model_frame_from_tables
from spyglass.features.targets import forward_excess_log_return, horizons
from spyglass.features.technical import ta_feature_table, technical_features


def test_features_are_scale_free(prices, small_cfg):
    cfg = small_cfg["features"]["technical"]
    scaled = prices.copy()
    scaled[["open", "high", "low", "close", "adj_close"]] *= 37.0
    a, b = technical_features(prices, cfg), technical_features(scaled, cfg)
    pd.testing.assert_frame_equal(a, b, rtol=1e-6)


def test_warm_up_rows_are_dropped_not_filled(prices, small_cfg):
    cfg = small_cfg["features"]["technical"]
    table = ta_feature_table(prices, cfg, 0.0)
    raw = technical_features(prices, cfg)
    first_complete = raw.drop(columns="date").notna().all(axis=1).idxmax()
    assert table["date"].iloc[0] == prices["date"].iloc[first_complete]
    assert table.drop(columns=["date", "target_ret_1d"]).notna().all().all()
    assert first_complete >= max(cfg["vol_windows"]) - 1


@pytest.mark.parametrize("h", [1, 5, 21, 63])
def test_each_horizons_target_is_the_forward_excess_log_return(prices, small_cfg, h):
    table = ta_feature_table(prices, small_cfg["features"]["technical"], 0.0252, (1, 5, 21, 63))
    merged = table.merge(prices, on="date")
    close = merged["adj_close"].to_numpy()
    expected = np.log(close[h:] / close[:-h]) - h * 0.0252 / 252
    np.testing.assert_allclose(table[f"target_ret_{h}d"].to_numpy()[:-h], expected, rtol=1e-10)
    assert table[f"target_ret_{h}d"].iloc[-h:].isna().all()  # not yet realised


def test_the_configured_horizons_are_whole_trading_days():
    assert horizons([63, 1, 21, 5]) == (1, 5, 21, 63) and horizons(21) == (21,)
    for bad in (0, [1, 1], "x", [], 2.5):
        with pytest.raises(ValueError, match=r"target\.horizon_days must be a whole number of trading days"):
            horizons(bad)


def test_rsi_is_a_share_and_returns_match_log_differences(prices, small_cfg):
    table = ta_feature_table(prices, small_cfg["features"]["technical"], 0.0)
    assert table["rsi"].between(0, 1).all()
    log_close = np.log(prices.set_index("date")["adj_close"])
    expected = (log_close - log_close.shift(5)).reindex(table["date"]).to_numpy()
    np.testing.assert_allclose(table["ret_5d"], expected, rtol=1e-10)


def test_forward_return_uses_the_closes_h_days_on_only():
    close = pd.Series([100.0, 110.0, 99.0, 120.0])
    np.testing.assert_allclose(forward_excess_log_return(close, 0.0).to_numpy()[:3], np.log([1.1, 0.9, 120 / 99]))
    two = forward_excess_log_return(close, pd.Series([0.01, 0.02, 0.03, 0.04]), 2).to_numpy()
    np.testing.assert_allclose(two[:2], [np.log(0.99) - 0.03, np.log(120 / 110) - 0.05])
    assert np.isnan(two[2:]).all()


ALWAYS = TierPolicy("always")


def test_the_model_frame_takes_the_horizons_target_and_no_target_as_a_feature():
    dates = pd.bdate_range("2020-01-01", periods=4)
    ta = pd.DataFrame({"date": dates, "rsi": [0.1, 0.2, 0.3, 0.4], "target_ret_1d": [0.01, 0.02, 0.03, None],
                       "target_ret_2d": [0.03, 0.05, None, None]})  # fmt: skip
    frame = model_frame_from_tables(ta, pd.DataFrame({"date": []}), policy=TierPolicy("never"), horizon_days=2)
    assert frame.feature_names == ["rsi"] and frame.horizon_days == 2
    np.testing.assert_allclose(frame.target, [0.03, 0.05, np.nan, np.nan])
    with pytest.raises(ValueError, match=r"no target_ret_5d: rerun ta_features with 5 among target\.horizon_days"):
        model_frame_from_tables(ta, pd.DataFrame({"date": []}), policy=TierPolicy("never"), horizon_days=5)


def test_model_frame_joins_only_common_dates_and_drops_bookkeeping():
    dates = pd.bdate_range("2020-01-01", periods=4)
    ta = pd.DataFrame({"date": dates, "rsi": [0.1, 0.2, 0.3, 0.4], "target_ret_1d": [0.01, 0.02, 0.03, None]})
    options = pd.DataFrame({"date": dates[1:], "iv_atm_30d": [0.2, 0.3, 0.4], "n_contracts": [5, 5, 5]})
    frame = model_frame_from_tables(ta, options, policy=ALWAYS)
    assert frame.feature_names == ["rsi", "iv_atm_30d"]
    assert list(frame.dates) == list(dates[1:])
    with pytest.raises(ValueError, match="no option snapshot falls on a model row"):
        model_frame_from_tables(ta, options.assign(date=pd.bdate_range("2030-01-01", periods=3)), policy=ALWAYS)


def test_forward_fill_is_limited_and_causal():
    dates = pd.bdate_range("2020-01-01", periods=6)
    ta = pd.DataFrame({"date": dates, "rsi": [0.5] * 6, "target_ret_1d": [0.0] * 6})
    options = pd.DataFrame({"date": dates, "iv_atm_30d": [0.2, None, None, None, 0.3, None]})
    filled = model_frame_from_tables(ta, options, forward_fill_limit=2, policy=ALWAYS).features["iv_atm_30d"].tolist()
    assert filled[:3] == [0.2, 0.2, 0.2] and np.isnan(filled[3]) and filled[4:] == [0.3, 0.3]
    assert np.isnan(model_frame_from_tables(ta, options, policy=ALWAYS).features["iv_atm_30d"].iloc[1])


def test_target_uses_the_sources_own_daily_risk_free_rate(prices, small_cfg):
    with_rate = prices.assign(risk_free_daily=np.linspace(0.0, 1e-3, len(prices)))
    table = ta_feature_table(with_rate, small_cfg["features"]["technical"], risk_free_rate=0.9)
    merged = table.merge(with_rate, on="date")
    close = merged["adj_close"].to_numpy()
    expected = np.log(close[1:] / close[:-1]) - merged["risk_free_daily"].to_numpy()[:-1]
    np.testing.assert_allclose(table["target_ret_1d"].to_numpy()[:-1], expected, rtol=1e-12, atol=1e-15)


def test_range_and_volume_features_can_be_switched_off(prices, small_cfg):
    cfg = {**small_cfg["features"]["technical"], "use_range": False, "use_volume": False}
    columns = set(technical_features(prices, cfg).columns)
    assert "atr_pct" not in columns and "volume_z" not in columns and "rsi" in columns


def test_every_group_is_documented_and_unknown_groups_are_refused(prices, small_cfg):
    from spyglass.features.technical import TECHNICAL_GROUPS

    assert set(small_cfg["features"]["technical"]["groups"]) == set(TECHNICAL_GROUPS)
    assert all(fn.__doc__ for fn in TECHNICAL_GROUPS.values())
    with pytest.raises(ValueError, match="unknown technical feature group"):
        technical_features(prices, {**small_cfg["features"]["technical"], "groups": ["astrology"]})


def test_range_vols_and_obv_flow_by_hand(prices, small_cfg):
    table = technical_features(prices, small_cfg["features"]["technical"])
    hl = np.log(prices["high"] / prices["low"]) ** 2
    expected = np.sqrt(hl.iloc[-21:].mean() / (4 * np.log(2)) * 252)
    assert table["parkinson_vol_21d"].iloc[-1] == pytest.approx(expected)
    assert table["obv_flow_21d"].dropna().between(-1, 1).all()
    lagged = np.log(prices["adj_close"]).diff().shift(2)
    np.testing.assert_allclose(table["ret_lag_2d"].iloc[5:], lagged.iloc[5:])
