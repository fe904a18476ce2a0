"""Black-Scholes-Merton prices and Greeks: textbook values, parity, and every Greek against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from spyglass.options.black_scholes import GREEKS, bs_greeks, bs_price, bs_vega, no_arbitrage_bounds
from spyglass.options.checks import finite_difference_errors

# A grid across moneyness (deep OTM to deep ITM), short and long expiries, with and without dividends.
S = 100.0
K, T, Q = (a.ravel() for a in np.meshgrid([70.0, 90.0, 100.0, 110.0, 130.0], [7 / 365, 0.25, 1.0, 3.0], [0.0, 0.03]))
R, SIGMA = 0.04, 0.25


def test_textbook_values():
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5.
    assert bs_price(42.0, 40.0, 0.5, 0.10, 0.0, 0.20, True) == pytest.approx(4.7594, abs=1e-4)
    assert bs_price(42.0, 40.0, 0.5, 0.10, 0.0, 0.20, False) == pytest.approx(0.8086, abs=1e-4)
    # Haug, The Complete Guide to Option Pricing Formulas, Merton (1973) with a dividend yield:
    # S=100, K=95, T=0.5, r=10%, q=5%, sigma=20% -> put 2.4648.
    assert bs_price(100.0, 95.0, 0.5, 0.10, 0.05, 0.20, False) == pytest.approx(2.4648, abs=1e-4)
    # Hull Example 19.1 (delta/gamma/vega/theta/rho of a call): S=49, K=50, r=5%, sigma=20%, T=20 weeks.
    g = bs_greeks(49.0, 50.0, 0.3846, 0.05, 0.0, 0.20, True)
    assert float(g["delta"]) == pytest.approx(0.522, abs=1e-3)
    assert float(g["gamma"]) == pytest.approx(0.066, abs=1e-3)
    assert float(g["vega"]) / 100 == pytest.approx(0.121, abs=1e-3)
    assert float(g["theta"]) / 365 == pytest.approx(-0.0118, abs=1e-4)
    assert float(g["rho"]) / 100 == pytest.approx(0.0891, abs=1e-4)


def test_put_call_parity_across_the_grid():
    call = bs_price(S, K, T, R, Q, SIGMA, True)
    put = bs_price(S, K, T, R, Q, SIGMA, False)
    np.testing.assert_allclose(call - put, S * np.exp(-Q * T) - K * np.exp(-R * T), atol=1e-10)
    greeks_call, greeks_put = bs_greeks(S, K, T, R, Q, SIGMA, True), bs_greeks(S, K, T, R, Q, SIGMA, False)
    np.testing.assert_allclose(greeks_call["delta"] - greeks_put["delta"], np.exp(-Q * T), atol=1e-12)
    for same in ("gamma", "vega", "vanna", "vomma"):
        np.testing.assert_allclose(greeks_call[same], greeks_put[same], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("is_call", [True, False])
def test_every_greek_matches_central_finite_differences(is_call):
    errors = finite_difference_errors(S, K, T, R, Q, SIGMA, is_call)
    assert set(errors) == set(GREEKS) - {"price"}
    assert max(errors.values()) < 2e-4, errors


def test_price_output_equals_bs_price_and_vega_equals_bs_vega():
    g = bs_greeks(S, K, T, R, Q, SIGMA, False)
    np.testing.assert_allclose(g["price"], bs_price(S, K, T, R, Q, SIGMA, False), rtol=1e-14)
    np.testing.assert_allclose(g["vega"], bs_vega(S, K, T, R, Q, SIGMA), rtol=1e-14)
    assert set(g) == set(GREEKS)


def test_expired_or_zero_vol_rows_are_nan_without_touching_others():
    g = bs_greeks(100.0, 100.0, np.array([0.5, 0.0, -1.0, 0.5]), 0.0, 0.0, np.array([0.2, 0.2, 0.2, 0.0]), True)
    for values in g.values():
        assert np.isfinite(values[0]) and np.isnan(values[1:]).all()


def test_inputs_broadcast_like_numpy():
    prices = bs_price(100.0, np.array([[90.0], [110.0]]), np.array([0.1, 0.5, 1.0]), 0.01, 0.0, 0.2, True)
    assert prices.shape == (2, 3)
    assert prices[0, 0] == pytest.approx(float(bs_price(100.0, 90.0, 0.1, 0.01, 0.0, 0.2, True)))


def test_prices_lie_within_no_arbitrage_bounds():
    for is_call in (True, False):
        price = bs_price(S, K, T, R, Q, SIGMA, is_call)
        lower, upper = no_arbitrage_bounds(S, K, T, R, Q, is_call)
        assert np.all(price >= lower - 1e-12) and np.all(price <= upper + 1e-12)
