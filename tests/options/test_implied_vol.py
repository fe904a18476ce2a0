"""Implied vol: accurate where a solution exists, NaN with a reason where none does, row by row."""

from __future__ import annotations

import numpy as np
import pytest

from spyglass.options.black_scholes import bs_price, bs_vega, no_arbitrage_bounds
from spyglass.options.implied_vol import IVStatus, implied_vol, solve_implied_vol


@pytest.mark.parametrize("q", [0.0, 0.02])
def test_round_trip_across_moneyness_maturity_and_vol(q):
    rng = np.random.default_rng(0)
    n = 50_000
    k = 100 * np.exp(rng.uniform(-0.7, 0.7, n))
    t = rng.uniform(1 / 365, 3.0, n)
    sigma = rng.uniform(0.03, 1.5, n)
    is_call = rng.random(n) < 0.5
    price = bs_price(100.0, k, t, 0.03, q, sigma, is_call)
    iv, status = solve_implied_vol(price, 100.0, k, t, 0.03, q, is_call)
    solved = status == IVStatus.OK
    lower, _ = no_arbitrage_bounds(100.0, k, t, 0.03, q, is_call)
    time_value = price - lower
    # Every row with a time value above rounding noise is solved; the rest (deep ITM rows whose time value is
    # lost to rounding, deep OTM rows whose price underflows) say why.
    assert solved[time_value > 1e-9].all()
    assert set(np.unique(status[~solved])) <= {IVStatus.NO_QUOTE, IVStatus.BELOW_INTRINSIC}
    np.testing.assert_allclose(bs_price(100.0, k, t, 0.03, q, iv, is_call)[solved], price[solved], rtol=0, atol=1e-6)
    sensitive = solved & (bs_vega(100.0, k, t, 0.03, q, sigma) > 0.5)  # vol is identifiable where vega is not tiny
    assert sensitive.mean() > 0.8
    np.testing.assert_allclose(iv[sensitive], sigma[sensitive], atol=1e-7)


def test_each_bad_row_gets_its_reason_and_leaves_the_others_alone():
    good = float(bs_price(100.0, 100.0, 0.5, 0.0, 0.0, 0.2, True))
    rows = [
        # price, strike, T, is_call, expected status
        (good, 100.0, 0.5, True, IVStatus.OK),
        (np.nan, 100.0, 0.5, True, IVStatus.NO_QUOTE),
        (0.0, 100.0, 0.5, True, IVStatus.NO_QUOTE),
        (good, 100.0, 0.0, True, IVStatus.EXPIRED),
        (49.0, 50.0, 0.5, True, IVStatus.BELOW_INTRINSIC),  # intrinsic is 50
        (40.0, 140.0, 0.5, False, IVStatus.BELOW_INTRINSIC),
        (101.0, 100.0, 0.5, True, IVStatus.ABOVE_UPPER_BOUND),  # a call is worth less than spot
        (120.0, 100.0, 0.5, False, IVStatus.ABOVE_UPPER_BOUND),  # a put is worth less than the strike
        (good, 100.0, 0.5, True, IVStatus.OK),
    ]
    price, strike, t, is_call, expected = (np.array(c) for c in zip(*rows, strict=True))
    iv, status = solve_implied_vol(
        price.astype(float), 100.0, strike.astype(float), t.astype(float), 0.0, 0.0, is_call.astype(bool)
    )
    assert [IVStatus(s) for s in status] == list(expected)
    assert iv[0] == pytest.approx(0.2, abs=1e-10) and iv[-1] == iv[0]
    assert np.isnan(iv[1:-1]).all()


def test_implied_vol_returns_only_the_vols_and_broadcasts():
    k = np.array([[90.0, 100.0, 110.0]])
    t = np.array([[0.1], [1.0]])
    prices = bs_price(100.0, k, t, 0.01, 0.0, 0.3, False)
    iv = implied_vol(prices, 100.0, k, t, 0.01, 0.0, False)
    assert iv.shape == (2, 3)
    np.testing.assert_allclose(iv, 0.3, atol=1e-9)
