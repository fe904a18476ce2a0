from __future__ import annotations

import numpy as np
import pytest

from spyglass.backtest.metrics import METRICS, NotApplicable, ReturnSeries, compute_metrics, expected_max_sharpe

RETURNS = np.array([0.1, -0.2, 0.05, 0.0])
POSITIONS = np.array([1.0, 1.0, 0.5, 0.0])
S = ReturnSeries(RETURNS, POSITIONS, rf_daily=0.01, periods_per_year=4)


def test_every_metric_is_documented_and_titled():
    for m in METRICS.values():
        assert m.title and m.compute.__doc__


def test_cagr_and_vol_by_hand():
    # growth 1.1 * 0.8 * 1.05 = 0.924 over 4 periods of a 4-period year
    assert METRICS["cagr"].compute(S) == pytest.approx(-0.076, abs=1e-12)
    # mean -0.0125; squared deviations 0.01265625 + 0.03515625 + 0.00390625 + 0.00015625 = 0.051875; / 3; sqrt; x 2
    assert METRICS["ann_vol"].compute(S) == pytest.approx(0.2629955640, rel=1e-9)


def test_sharpe_and_sortino_use_excess_returns():
    # excess [0.09, -0.21, 0.04, -0.01]: mean -0.0225, sd 0.1314977820 (as above: a shift keeps it)
    assert METRICS["sharpe"].compute(S) == pytest.approx(-0.0225 / 0.1314977820 * 2, rel=1e-9)
    assert METRICS["sharpe"].compute(S) == pytest.approx(-0.342211, abs=1e-6)
    # downside deviation sqrt((0.21^2 + 0.01^2) / 4) = sqrt(0.01105) = 0.1051189802
    assert METRICS["sortino"].compute(S) == pytest.approx(-0.428086, abs=1e-6)


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


def test_drawdown_duration_and_break_even_cost_by_hand():
    s = ReturnSeries(np.array([0.1, -0.1, 0.05, 0.1, -0.01]), np.ones(5))
    assert METRICS["max_drawdown_days"].compute(s) == 2.0
    traded = ReturnSeries(np.array([0.01, 0.02]), np.array([1.0, 0.0]))
    assert METRICS["break_even_cost_bps"].compute(traded) == pytest.approx(0.015 / 1.0 * 10_000)
    assert compute_metrics(ReturnSeries(np.array([0.01, 0.02]), np.zeros(2)), ["break_even_cost_bps"]) == {
        "break_even_cost_bps": None
    }


def hull_reference(fwd, rf, pos):
    """The competition's scoring steps, written out as in its code."""
    strat = rf * (1 - pos) + pos * fwd
    sx = strat - rf
    n = len(fwd)
    s_mean = np.prod(1 + sx) ** (1 / n) - 1
    s_std = np.std(strat, ddof=1)
    sharpe = s_mean / s_std * np.sqrt(252)
    vol_pen = 1 + max(0, s_std / np.std(fwd, ddof=1) - 1.2)
    m_mean = np.prod(1 + fwd - rf) ** (1 / n) - 1
    gap = max(0, (m_mean - s_mean) * 100 * 252)
    return min(sharpe / (vol_pen * (1 + gap**2 / 100)), 1e6)


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.0])
def test_hull_score_matches_the_competition_formula(scale):
    rng = np.random.default_rng(1)
    fwd, rf = rng.normal(0.0004, 0.01, 500), np.full(500, 0.0001)
    pos = np.clip(scale * (1 + rng.normal(0, 0.3, 500)), 0, 2)
    strat = rf * (1 - pos) + pos * fwd
    ours = METRICS["hull_score"].compute(ReturnSeries(strat, pos, rf, market=fwd))
    assert ours == pytest.approx(hull_reference(fwd, rf, pos), rel=1e-12)


def test_hull_score_does_not_apply_outside_0_2_and_needs_the_market():
    leveraged = ReturnSeries(np.zeros(3) + 0.01, np.array([1.0, 2.5, 1.0]), market=np.zeros(3))
    with pytest.raises(NotApplicable, match=r"\[0, 2\]"):
        METRICS["hull_score"].compute(leveraged)
    notes = {}
    assert compute_metrics(leveraged, ["hull_score", "sharpe"], notes)["hull_score"] is None
    assert list(notes) == ["hull_score"]
    assert np.isnan(METRICS["hull_score"].compute(ReturnSeries(np.array([0.01, 0.02]), np.ones(2))))


def test_expected_maximum_of_trials_matches_the_formula_and_the_true_maximum():
    from statistics import NormalDist

    z, e = NormalDist().inv_cdf, 0.5772156649015329
    # E[max of N standard normals], exact (order-statistics tables): the approximation is within 3 %
    exact = {10: 1.538753, 100: 2.507594, 1000: 3.241436}
    assert expected_max_sharpe(1) == 0.0
    for n, true_max in exact.items():
        formula = (1 - e) * z(1 - 1 / n) + e * z(1 - 1 / (n * np.e))
        assert expected_max_sharpe(n) == pytest.approx(formula, rel=1e-12)
        assert expected_max_sharpe(n) == pytest.approx(true_max, rel=0.03)
    assert [round(expected_max_sharpe(n), 4) for n in (2, 10, 100)] == [0.5198, 1.5746, 2.5306]


@pytest.mark.parametrize("n_trials", [1, 2, 10, 100, 1000])
def test_deflated_sharpe_for_several_trial_counts(n_trials):
    from statistics import NormalDist

    r = np.random.default_rng(2).normal(0.001, 0.01, 1000)
    t, mean, sd = len(r), r.mean(), r.std(ddof=1)
    centred = r - mean
    m2 = (centred**2).mean()
    skew, kurt = (centred**3).mean() / m2**1.5, (centred**4).mean() / m2**2
    sr = mean / sd
    sr0 = {1: 0.0, 2: 0.5197553, 10: 1.5745983, 100: 2.5306029, 1000: 3.2551215}[n_trials] / np.sqrt(t - 1)
    expected = NormalDist().cdf((sr - sr0) * np.sqrt(t - 1) / np.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    got = METRICS["deflated_sharpe"].compute(ReturnSeries(r, np.ones(t), n_trials=n_trials))
    assert got == pytest.approx(expected, abs=1e-6)


def test_deflated_sharpe_by_hand_and_it_falls_with_more_trials():
    from scipy.stats import kurtosis, norm, skew

    r = np.random.default_rng(2).normal(0.001, 0.01, 1000)
    sr = r.mean() / r.std(ddof=1)
    psr = norm.cdf(sr * np.sqrt(999) / np.sqrt(1 - skew(r) * sr + (kurtosis(r, fisher=False) - 1) / 4 * sr**2))
    assert METRICS["deflated_sharpe"].compute(ReturnSeries(r, np.ones(1000))) == pytest.approx(psr)
    many = METRICS["deflated_sharpe"].compute(ReturnSeries(r, np.ones(1000), n_trials=200))
    assert many < psr


def test_a_constant_return_series_has_no_ratio_to_explode():
    from spyglass.backtest.metrics import ReturnSeries, compute_metrics

    flat = np.full(300, 0.1 / 3)  # its standard deviation comes out about 1e-17, not 0
    series = ReturnSeries(flat, np.ones(300), 0.0, 252, np.random.default_rng(0).normal(0, 0.01, 300))
    metrics = compute_metrics(series)
    assert (metrics["sharpe"], metrics["hull_score"], metrics["deflated_sharpe"], metrics["ann_vol"]) == (0, 0, 0, 0)
