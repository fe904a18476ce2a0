from __future__ import annotations

import numpy as np
import pytest

from spyglass.garch import GarchParams, fit_garch, mean_variance_over, next_day_variance, simulate_returns

PARAMS = GarchParams(mu=0.05, omega=0.02, alpha=0.08, beta=0.9, nu=6.0)


def test_next_day_variance_matches_the_recursion():
    returns = np.random.default_rng(0).normal(0, 1, 50)
    expected, var = [], PARAMS.long_run_variance
    for r in returns:
        var = PARAMS.omega + PARAMS.alpha * (r - PARAMS.mu) ** 2 + PARAMS.beta * var
        expected.append(var)
    np.testing.assert_allclose(next_day_variance(returns, PARAMS), expected, rtol=1e-12)


def test_forecast_at_t_ignores_returns_after_t():
    returns = np.random.default_rng(1).normal(0, 1, 100)
    changed = returns.copy()
    changed[60:] *= 5
    np.testing.assert_array_equal(next_day_variance(returns, PARAMS)[:60], next_day_variance(changed, PARAMS)[:60])


def test_term_structure_starts_at_next_day_and_reverts_to_long_run():
    high = np.array([4.0 * PARAMS.long_run_variance])
    curve = mean_variance_over(high, PARAMS, np.array([1, 21, 252, 100_000]))[0]
    assert curve[0] == pytest.approx(high[0])
    assert np.all(np.diff(curve) < 0)
    assert curve[-1] == pytest.approx(PARAMS.long_run_variance, rel=1e-2)


def test_fit_recovers_simulated_parameters_roughly():
    returns = simulate_returns(4000, PARAMS, np.random.default_rng(2))
    fitted = fit_garch(returns)
    assert fitted.persistence == pytest.approx(PARAMS.persistence, abs=0.03)
    assert np.var(returns) == pytest.approx(PARAMS.long_run_variance, rel=0.25)


def test_degenerate_fit_is_refused():
    flat = np.random.default_rng(3).normal(0, 1, 60)
    with pytest.raises(ValueError, match=r"degenerate|longer calibration"):
        fit_garch(flat)
