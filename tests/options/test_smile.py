"""The SVI smile fit: exact on SVI data, no worse than an independent optimiser, arbitrage bounds always kept."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from spyglass.options.smile import fit_svi, svi_total_variance

K = np.linspace(-0.4, 0.25, 40)


def weighted_error(params: np.ndarray, k: np.ndarray, w: np.ndarray) -> float:
    """The fit's objective: squared errors in total variance weighted by 1 / (4 w)."""
    return float(np.sum((svi_total_variance(params, k) - w) ** 2 / (4 * w)))


def test_svi_data_is_fitted_exactly_and_its_wings_continue_linearly():
    truth = np.array([0.01, 0.3, -0.6, 0.02, 0.1])  # a, b, rho, m, sigma
    params, rmse = fit_svi([K.size], K, svi_total_variance(truth, K), 5)
    assert rmse[0] < 1e-7
    far = np.array([-1.5, -1.0, 0.8, 1.2])  # outside the quotes
    np.testing.assert_allclose(svi_total_variance(params[0], far), svi_total_variance(truth, far), rtol=1e-4)


def test_the_fit_is_no_worse_than_an_independent_constrained_optimiser():
    rng = np.random.default_rng(7)
    truth = np.array([0.02, 0.25, -0.5, 0.0, 0.15])
    w = svi_total_variance(truth, K) * np.exp(rng.normal(0.0, 0.03, K.size))
    params, _ = fit_svi([K.size], K, w, 5)
    ours = weighted_error(params[0], K, w)

    def objective(x):
        return weighted_error(x, K, w)

    bounds = [(-1.0, 1.0), (0.0, 2.0), (-0.999, 0.999), (-1.0, 1.0), (1e-4, 2.0)]
    constraints = [
        {"type": "ineq", "fun": lambda x: 2.0 - x[1] * (1 + abs(x[2]))},  # Lee's wing bound
        {"type": "ineq", "fun": lambda x: x[0] + x[1] * x[4] * (1 - abs(x[2]))},  # total variance stays >= 0
    ]
    best = min(
        minimize(objective, start, method="SLSQP", bounds=bounds, constraints=constraints).fun
        for start in ([0.02, 0.2, -0.3, 0.0, 0.1], [0.0, 0.5, 0.0, -0.1, 0.3], [0.04, 0.1, -0.8, 0.05, 0.05])
    )
    assert ours <= best * (1 + 1e-6)


def test_no_fit_breaks_the_arbitrage_bounds_even_on_wild_quotes():
    rng = np.random.default_rng(3)
    sizes = [25] * 200
    k = np.concatenate([np.sort(rng.uniform(-1.0, 0.5, 25)) for _ in sizes])
    w = rng.uniform(0.0005, 0.5, k.size)  # no smile at all
    params, _ = fit_svi(sizes, k, w, 5)
    a, b, rho, _, sigma = params.T
    assert (b >= 0).all() and (np.abs(rho) <= 1 + 1e-12).all() and (sigma > 0).all()
    assert (b * (1 + np.abs(rho)) <= 2 + 1e-9).all()
    assert (a + b * sigma * np.sqrt(1 - np.minimum(rho**2, 1)) >= -1e-12).all()  # the smallest total variance


def test_each_group_is_fitted_alone_and_thin_groups_get_none():
    truth = [np.array([0.01, 0.3, -0.6, 0.02, 0.1]), np.array([0.04, 0.1, 0.2, -0.05, 0.3])]
    k = np.concatenate([K, K[:4], K])
    w = np.concatenate([svi_total_variance(truth[0], K), np.full(4, 0.01), svi_total_variance(truth[1], K)])
    params, _ = fit_svi([K.size, 4, K.size], k, w, 5)
    assert np.isnan(params[1]).all()
    for fitted, expected in ((params[0], truth[0]), (params[2], truth[1])):
        np.testing.assert_allclose(svi_total_variance(fitted, K), svi_total_variance(expected, K), rtol=1e-4)
    alone, _ = fit_svi([K.size], K, w[-K.size :], 5)
    assert alone[0] == pytest.approx(params[2])
