from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.strategy.allocation import get_allocations

CFG = {
    "method": "kelly",
    "vol_model": "ewma",
    "kelly_fraction": 0.5,
    "target_vol": 0.15,
    "sharpe_tilt": 10.0,
    "vol_halflife": 10,
    "min_position": 0.0,
    "max_position": 2.0,
    "smoothing_halflife": 0,
}


def market(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    prices = pd.DataFrame({"date": dates, "adj_close": close})
    predictions = pd.DataFrame({"date": dates, "prediction": rng.normal(0.0003, 0.0005, n)})
    return prices, predictions


def test_kelly_position_by_hand():
    # returns +1 %, -2 %, +1 %; EWMA of squared returns with half-life 1 day (weights 1, 1/2, 1/4, normalised):
    # day 1: 1e-4; day 2: (0.5 * 1e-4 + 4e-4) / 1.5 = 3e-4; day 3: (0.25e-4 + 2e-4 + 1e-4) / 1.75 = 1.857142857e-4
    dates = pd.bdate_range("2020-01-01", periods=4)
    prices = pd.DataFrame({"date": dates, "adj_close": [100.0, 101.0, 98.98, 99.9698]})
    predictions = pd.DataFrame({"date": dates[1:], "prediction": [1e-4, 1e-4, 6e-4]})
    out = get_allocations(predictions, prices, {**CFG, "vol_halflife": 1})
    # Kelly 0.5 * mu / variance: 0.5, 1/6, 0.5 * 6e-4 / 1.857142857e-4 = 1.6153846
    np.testing.assert_allclose(out["allocation_raw"], [0.5, 1 / 6, 1.6153846154], rtol=1e-8)
    np.testing.assert_allclose(out["vol_estimate"], np.sqrt(np.array([1e-4, 3e-4, 1.857142857e-4]) * 252), rtol=1e-8)


def test_positions_are_clipped_to_bounds_and_steps_kept():
    prices, predictions = market()
    out = get_allocations(predictions, prices, {**CFG, "max_position": 1.2})
    assert out["allocation_clipped"].between(0, 1.2).all()
    assert (out["allocation_raw"] > 1.2).any() and (out["allocation_raw"] < 0).any()
    assert list(out.columns) == [
        "date",
        "prediction",
        "vol_estimate",
        "allocation_raw",
        "allocation_clipped",
        "allocation",
        "allocation_vol_target",
    ]


def test_smoothing_cuts_turnover_and_stays_in_bounds():
    prices, predictions = market()
    raw = get_allocations(predictions, prices, CFG)
    smooth = get_allocations(predictions, prices, {**CFG, "smoothing_halflife": 5})
    assert smooth["allocation"].diff().abs().sum() < 0.5 * raw["allocation"].diff().abs().sum()
    assert smooth["allocation"].between(0, 2).all()


def test_allocation_at_t_ignores_everything_after_t():
    prices, predictions = market()
    changed_prices, changed_predictions = prices.copy(), predictions.copy()
    changed_prices.loc[80:, "adj_close"] *= 1.3
    changed_predictions.loc[80:, "prediction"] = -1.0
    cfg = {**CFG, "smoothing_halflife": 3}
    a = get_allocations(predictions, prices, cfg)
    b = get_allocations(changed_predictions, changed_prices, cfg)
    cutoff = prices["date"].iloc[79]
    pd.testing.assert_frame_equal(a[a["date"] <= cutoff], b[b["date"] <= cutoff])


def test_bad_config_is_refused():
    prices, predictions = market()
    with pytest.raises(ValueError, match=r"unknown allocation\.method"):
        get_allocations(predictions, prices, {**CFG, "method": "magic"})
    with pytest.raises(ValueError, match="min_position"):
        get_allocations(predictions, prices, {**CFG, "min_position": 3.0})


def test_vol_target_sizing_and_the_vol_target_only_benchmark():
    prices, predictions = market()
    out = get_allocations(predictions, prices, {**CFG, "method": "vol_target", "max_position": 10.0})
    sigma_daily = out["vol_estimate"] / np.sqrt(252)
    expected = 0.15 / out["vol_estimate"] * (1 + 10.0 * out["prediction"] / sigma_daily)
    np.testing.assert_allclose(out["allocation_raw"], expected)
    np.testing.assert_allclose(out["allocation_vol_target"], (0.15 / out["vol_estimate"]).clip(0, 10.0))


def test_garch_vol_is_fitted_before_the_first_prediction_only():
    from spyglass.garch import GarchParams, simulate_returns

    prices, predictions = market(n=900, seed=3)
    garch = GarchParams(mu=0.03, omega=0.02, alpha=0.09, beta=0.89, nu=6.0)
    log_returns = simulate_returns(900, garch, np.random.default_rng(4)) / 100
    prices["adj_close"] = 100 * np.exp(np.cumsum(log_returns))
    late = predictions.iloc[600:]
    cfg = {**CFG, "vol_model": "garch"}
    out = get_allocations(late, prices, cfg)
    changed = prices.copy()
    changed.loc[700:, "adj_close"] *= np.exp(np.cumsum(np.random.default_rng(9).normal(0, 0.03, 200)))
    again = get_allocations(late, changed, cfg)
    cutoff = prices["date"].iloc[699]
    pd.testing.assert_frame_equal(out[out["date"] <= cutoff], again[again["date"] <= cutoff])
    assert (out["vol_estimate"] > 0).all()
    with pytest.raises(ValueError, match="needs 500 returns before the first prediction"):
        get_allocations(predictions.iloc[100:], prices, cfg)
