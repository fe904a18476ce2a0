from __future__ import annotations

import numpy as np
import pytest

from spyglass.options.black_scholes import bs_price, bs_vega, no_arbitrage_bounds


def test_textbook_values():
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5.
    assert bs_price(42.0, 40.0, 0.5, 0.10, 0.0, 0.20, True) == pytest.approx(4.76, abs=0.005)
    assert bs_price(42.0, 40.0, 0.5, 0.10, 0.0, 0.20, False) == pytest.approx(0.81, abs=0.005)


@pytest.mark.parametrize("q", [0.0, 0.03])
def test_put_call_parity(q):
    k = np.linspace(50, 150, 21)
    t = np.linspace(0.02, 3.0, 21)
    call = bs_price(100.0, k, t, 0.04, q, 0.3, True)
    put = bs_price(100.0, k, t, 0.04, q, 0.3, False)
    np.testing.assert_allclose(call - put, 100.0 * np.exp(-q * t) - k * np.exp(-0.04 * t), atol=1e-10)


def test_vega_matches_finite_difference():
    k, t, sigma, h = np.array([80.0, 100.0, 130.0]), np.array([0.1, 1.0, 2.5]), 0.25, 1e-5
    numeric = (
        bs_price(100.0, k, t, 0.02, 0.01, sigma + h, True) - bs_price(100.0, k, t, 0.02, 0.01, sigma - h, True)
    ) / (2 * h)
    np.testing.assert_allclose(bs_vega(100.0, k, t, 0.02, 0.01, sigma), numeric, rtol=1e-6)


def test_prices_lie_within_no_arbitrage_bounds():
    k = np.linspace(60, 140, 9)
    for is_call in (True, False):
        price = bs_price(100.0, k, 0.5, 0.03, 0.01, 0.2, is_call)
        lower, upper = no_arbitrage_bounds(100.0, k, 0.5, 0.03, 0.01, is_call)
        assert np.all(price >= lower - 1e-12) and np.all(price <= upper + 1e-12)
