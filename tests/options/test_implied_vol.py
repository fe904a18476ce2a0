from __future__ import annotations

import numpy as np

from spyglass.options.black_scholes import bs_price, bs_vega
from spyglass.options.implied_vol import implied_vol


def test_round_trip_across_moneyness_maturity_and_dividends():
    rng = np.random.default_rng(0)
    n = 20_000
    k = rng.uniform(70, 130, n)
    t = rng.uniform(0.02, 2.0, n)
    sigma = rng.uniform(0.08, 0.8, n)
    is_call = rng.random(n) < 0.5
    price = bs_price(100.0, k, t, 0.03, 0.015, sigma, is_call)
    iv = implied_vol(price, 100.0, k, t, 0.03, 0.015, is_call)
    solved = np.isfinite(iv)
    assert solved.mean() > 0.99
    np.testing.assert_allclose(bs_price(100.0, k, t, 0.03, 0.015, iv, is_call)[solved], price[solved], atol=1e-6)
    # Where the price is sensitive to vol (vega > 0.5 per 1.00 of vol), the vol itself is recovered too.
    sensitive = solved & (bs_vega(100.0, k, t, 0.03, 0.015, sigma) > 0.5)
    assert sensitive.mean() > 0.9
    np.testing.assert_allclose(iv[sensitive], sigma[sensitive], atol=1e-6)


def test_bad_rows_give_nan_without_touching_good_ones():
    good = bs_price(100.0, 100.0, 0.5, 0.0, 0.0, 0.2, True)
    price = np.array([good, 0.5, np.nan, 0.0, 150.0, good])
    t = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.0])
    k = np.array([100.0, 50.0, 100.0, 100.0, 100.0, 100.0])  # row 1: below the intrinsic value of 50
    iv = implied_vol(price, 100.0, k, t, 0.0, 0.0, np.ones(6, dtype=bool))
    assert abs(iv[0] - 0.2) < 1e-8
    assert np.isnan(iv[1:]).all()  # below intrinsic, no quote, zero price, above the upper bound, expired
