from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.strategy.allocation import ewma_variance, get_allocations

CFG = {
    "method": "kelly",
    "kelly_fraction": 0.5,
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


def test_kelly_position_is_fraction_times_mu_over_variance():
    prices, predictions = market()
    out = get_allocations(predictions, prices, CFG)
    variance = ewma_variance(prices["adj_close"].pct_change(), 10)
    expected = 0.5 * predictions.set_index("date")["prediction"] / variance.set_axis(prices["date"])
    np.testing.assert_allclose(out["allocation_raw"], expected.reindex(out["date"]).to_numpy())
    np.testing.assert_allclose(out["vol_estimate"] ** 2 / 252, variance.set_axis(prices["date"]).reindex(out["date"]))


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
    with pytest.raises(ValueError, match="unknown allocation method"):
        get_allocations(predictions, prices, {**CFG, "method": "magic"})
    with pytest.raises(ValueError, match="min_position"):
        get_allocations(predictions, prices, {**CFG, "min_position": 3.0})
