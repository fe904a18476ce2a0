from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.strategy.allocation import (
    SizingPlan,
    get_allocations,
    rebalance_days,
    rebalance_schedule,
)

CFG = {
    "vol_model": "ewma",
    "kelly_fraction": 0.5,
    "target_vol": 0.15,
    "sharpe_tilt": 10.0,
    "vol_halflife": 10,
    "min_position": 0.0,
    "max_position": 2.0,
    "smoothing_halflife": 0,
    "rebalance": "horizon",
    "no_trade_band": 0.0,
    "tilt": 0.5,
    "tilt_full_ic": 0.1,
    "tilt_min_history": 60,
    "tilt_z_clip": 3.0,
}
KELLY = SizingPlan("kelly")


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
    out = get_allocations(predictions, prices, {**CFG, "vol_halflife": 1}, KELLY)
    # Kelly 0.5 * mu / variance: 0.5, 1/6, 0.5 * 6e-4 / 1.857142857e-4 = 1.6153846
    np.testing.assert_allclose(out["allocation_raw"], [0.5, 1 / 6, 1.6153846154], rtol=1e-8)
    np.testing.assert_allclose(out["vol_estimate"], np.sqrt(np.array([1e-4, 3e-4, 1.857142857e-4]) * 252), rtol=1e-8)


def test_positions_are_clipped_to_bounds_and_steps_kept():
    prices, predictions = market()
    out = get_allocations(predictions, prices, {**CFG, "max_position": 1.2}, KELLY)
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
    raw = get_allocations(predictions, prices, CFG, KELLY)
    smooth = get_allocations(predictions, prices, {**CFG, "smoothing_halflife": 5}, KELLY)
    assert smooth["allocation"].diff().abs().sum() < 0.5 * raw["allocation"].diff().abs().sum()
    assert smooth["allocation"].between(0, 2).all()


@pytest.mark.parametrize("plan", [KELLY, SizingPlan("vol_tilt", 5, "weekly"), SizingPlan("vol_tilt", 21, "monthly"),
                                  SizingPlan("vol_target", 63, "daily"), SizingPlan(None, 21, "monthly")],
                         ids=["kelly-1d", "tilt-5d", "tilt-21d", "vol_target-63d", "hold-21d"])  # fmt: skip
def test_allocation_at_t_ignores_everything_after_t(plan):
    prices, predictions = market(300)
    changed_prices, changed_predictions = prices.copy(), predictions.copy()
    changed_prices.loc[200:, "adj_close"] *= np.exp(np.random.default_rng(5).normal(0, 0.03, 100).cumsum())
    changed_predictions.loc[200:, "prediction"] = -1.0
    cfg = {**CFG, "smoothing_halflife": 3}
    a = get_allocations(predictions, prices, cfg, plan)
    b = get_allocations(changed_predictions, changed_prices, cfg, plan)
    cutoff = prices["date"].iloc[199]
    pd.testing.assert_frame_equal(a[a["date"] <= cutoff], b[b["date"] <= cutoff])
    assert not np.allclose(a["allocation_vol_target"].iloc[-50:], b["allocation_vol_target"].iloc[-50:])


def test_bad_config_is_refused():
    prices, predictions = market()
    with pytest.raises(ValueError, match=r"unknown sizing 'magic'"):
        SizingPlan("magic")
    with pytest.raises(ValueError, match=r"allocation\.rebalance must be one of"):
        SizingPlan("kelly", 1, "hourly")
    with pytest.raises(ValueError, match="min_position"):
        get_allocations(predictions, prices, {**CFG, "min_position": 3.0}, KELLY)


def test_vol_target_sizing_and_the_vol_target_only_benchmark():
    prices, predictions = market()
    out = get_allocations(predictions, prices, {**CFG, "max_position": 10.0}, SizingPlan("vol_target"))
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
    out = get_allocations(late, prices, cfg, KELLY)
    changed = prices.copy()
    changed.loc[700:, "adj_close"] *= np.exp(np.cumsum(np.random.default_rng(9).normal(0, 0.03, 200)))
    again = get_allocations(late, changed, cfg, KELLY)
    cutoff = prices["date"].iloc[699]
    pd.testing.assert_frame_equal(out[out["date"] <= cutoff], again[again["date"] <= cutoff])
    assert (out["vol_estimate"] > 0).all()
    with pytest.raises(ValueError, match="needs 500 returns before the first prediction"):
        get_allocations(predictions.iloc[100:], prices, cfg, KELLY)


def forward_log_return(prices: pd.DataFrame, h: int) -> pd.Series:
    log_close = np.log(prices["adj_close"])
    return log_close.shift(-h) - log_close


def test_a_forecast_without_skill_leaves_the_vol_target_untouched():
    prices, _ = market(400, seed=1)
    noise = pd.DataFrame({"date": prices["date"], "prediction": -forward_log_return(prices, 5).fillna(0.0)})
    out = get_allocations(noise, prices, CFG, SizingPlan("vol_tilt", 5, "daily"))  # anti-skill: IC < 0
    np.testing.assert_allclose(out["allocation_raw"], 0.15 / out["vol_estimate"])
    np.testing.assert_allclose(out["allocation"], out["allocation_vol_target"])


def test_a_forecast_with_skill_tilts_the_vol_target_by_its_z_score_once_outcomes_prove_it():
    prices, _ = market(400, seed=2)
    h, outcome = 5, forward_log_return(prices, 5)
    predictions = pd.DataFrame({"date": prices["date"], "prediction": outcome.fillna(0.0)})  # a perfect forecast
    out = get_allocations(predictions, prices, {**CFG, "max_position": 10.0}, SizingPlan("vol_tilt", h, "daily"))
    vol_target = 0.15 / out["vol_estimate"]
    p = out["prediction"]
    z = ((p - p.expanding(60).mean()) / p.expanding(60).std()).clip(-3, 3)
    # rows before 60 realised outcomes (row t knows rows 0 .. t - h): the vol target exactly
    untilted = out.index < 60 + h - 1
    np.testing.assert_allclose(out["allocation_raw"][untilted], vol_target[untilted])
    proven = out.index >= 60 + h  # IC of a perfect forecast is 1: the full tilt, 0.5 * z
    np.testing.assert_allclose(out["allocation_raw"][proven], (vol_target * (1 + 0.5 * z))[proven], rtol=1e-9)


def test_holding_the_vol_target_when_the_comparison_adopted_nothing():
    prices, predictions = market(200)
    out = get_allocations(predictions, prices, CFG, SizingPlan(None, 21, "monthly"))
    np.testing.assert_allclose(out["allocation"], out["allocation_vol_target"])
    np.testing.assert_allclose(out["allocation_raw"], 0.15 / out["vol_estimate"])


@pytest.mark.parametrize(("schedule", "period"), [("weekly", "W"), ("monthly", "M")])
def test_positions_change_only_on_the_first_trading_day_of_each_period(schedule, period):
    prices, predictions = market(300)
    out = get_allocations(predictions, prices, CFG, SizingPlan("kelly", 1, schedule))
    changed = out["allocation"].diff().fillna(1.0) != 0
    first_of_period = out["date"].dt.to_period(period).ne(out["date"].dt.to_period(period).shift())
    assert changed.sum() > 5 and not (changed & ~first_of_period).any()
    held = out.loc[first_of_period, ["date", "allocation", "allocation_clipped"]]
    np.testing.assert_allclose(held["allocation"], held["allocation_clipped"])  # trades to the target there


def test_a_no_trade_band_skips_small_changes():
    prices, predictions = market(300)
    free = get_allocations(predictions, prices, CFG, KELLY)
    banded = get_allocations(predictions, prices, {**CFG, "no_trade_band": 0.2}, KELLY)
    steps = banded["allocation"].diff().abs()
    assert (steps[steps > 0] > 0.2).all() and (steps > 0).sum() < (free["allocation"].diff().abs() > 0).sum()
    assert (banded["allocation"] - banded["allocation_clipped"]).abs().max() <= 0.2


def test_the_schedule_follows_the_horizon_and_its_days_are_known_at_their_close():
    assert [rebalance_schedule("horizon", h) for h in (1, 5, 20, 21, 63)] == ["daily", "weekly", "weekly", "monthly",
                                                                            "monthly"]  # fmt: skip
    assert rebalance_schedule("weekly", 63) == "weekly"
    dates = pd.Series(pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-02", "2024-02-05", "2024-03-01"]))
    assert rebalance_days(dates, "monthly").tolist() == [True, False, True, False, True]
    assert rebalance_days(dates, "weekly").tolist() == [True, False, False, True, True]
