from __future__ import annotations

import numpy as np
import pytest

from spyglass.backtest.metrics import METRICS, ReturnSeries, compute_metrics

RETURNS = np.array([0.1, -0.2, 0.05, 0.0])
POSITIONS = np.array([1.0, 1.0, 0.5, 0.0])
S = ReturnSeries(RETURNS, POSITIONS, rf_daily=0.01, periods_per_year=4)


def test_every_metric_is_documented_and_titled():
    for m in METRICS.values():
        assert m.title and m.compute.__doc__


def test_cagr_and_vol_by_hand():
    growth = 1.1 * 0.8 * 1.05
    assert METRICS["cagr"].compute(S) == pytest.approx(growth ** (4 / 4) - 1)
    assert METRICS["ann_vol"].compute(S) == pytest.approx(np.std(RETURNS, ddof=1) * 2)


def test_sharpe_and_sortino_use_excess_returns():
    excess = RETURNS - 0.01
    assert METRICS["sharpe"].compute(S) == pytest.approx(excess.mean() / excess.std(ddof=1) * 2)
    downside = np.sqrt(np.mean(np.minimum(excess, 0) ** 2))
    assert METRICS["sortino"].compute(S) == pytest.approx(excess.mean() / downside * 2)


def test_drawdown_and_calmar_by_hand():
    assert METRICS["max_drawdown"].compute(S) == pytest.approx(0.8 - 1)
    assert METRICS["calmar"].compute(S) == pytest.approx((1.1 * 0.8 * 1.05 - 1) / 0.2)
    rising = ReturnSeries(np.array([0.01, 0.02]), np.ones(2))
    assert METRICS["max_drawdown"].compute(rising) == 0.0 and METRICS["calmar"].compute(rising) == 0.0


def test_first_day_loss_counts_as_drawdown():
    assert METRICS["max_drawdown"].compute(ReturnSeries(np.array([-0.1, 0.05]), np.ones(2))) == pytest.approx(-0.1)


def test_turnover_hit_rate_exposure_by_hand():
    assert METRICS["turnover"].compute(S) == pytest.approx((1 + 0 + 0.5 + 0.5) / 4 * 4)
    assert METRICS["hit_rate"].compute(S) == pytest.approx(2 / 3)
    assert METRICS["exposure"].compute(S) == pytest.approx(0.625)


def test_compute_metrics_iterates_the_registry():
    out = compute_metrics(S)
    assert set(out) == set(METRICS)
    assert compute_metrics(S, ["sharpe"]) == {"sharpe": round(METRICS["sharpe"].compute(S), 6)}
    with pytest.raises(ValueError, match="at least 2"):
        compute_metrics(ReturnSeries(np.array([0.1]), np.ones(1)))
