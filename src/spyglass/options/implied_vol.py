"""Implied volatility, vectorised: safeguarded Newton steps inside a shrinking bisection bracket."""

from __future__ import annotations

import numpy as np

from spyglass.options.black_scholes import bs_price, bs_vega, no_arbitrage_bounds

VOL_LOW, VOL_HIGH = 1e-4, 5.0


def implied_vol(
    price: np.ndarray,
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: float | np.ndarray,
    q: float | np.ndarray,
    is_call: np.ndarray,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> np.ndarray:
    """Annualised IV (decimal) reproducing `price`; NaN where no volatility in [1e-4, 5] does.

    NaN cases: missing or non-positive price, T <= 0, price outside the no-arbitrage bounds. One bad row
    never affects the others.
    """
    price, s, k, t = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (price, s, k, t)))
    is_call = np.broadcast_to(np.asarray(is_call, dtype=bool), price.shape)
    t_safe = np.where(t > 0, t, 1.0)
    lower, upper = no_arbitrage_bounds(s, k, t_safe, r, q, is_call)
    price_low = bs_price(s, k, t_safe, r, q, VOL_LOW, is_call)
    price_high = bs_price(s, k, t_safe, r, q, VOL_HIGH, is_call)
    solvable = (
        np.isfinite(price)
        & (price > 0)
        & (t > 0)
        & (price > lower)
        & (price < upper)
        & (price >= price_low)
        & (price <= price_high)
    )
    lo = np.full(price.shape, VOL_LOW)
    hi = np.full(price.shape, VOL_HIGH)
    sigma = np.full(price.shape, 0.2)
    active = solvable.copy()
    for _ in range(max_iter):
        if not active.any():
            break
        diff = bs_price(s, k, t_safe, r, q, sigma, is_call) - price
        active &= (np.abs(diff) > tol) & (hi - lo > 1e-12)  # converged rows keep their sigma
        # The price rises with sigma: keep the root bracketed.
        hi = np.where(active & (diff > 0), sigma, hi)
        lo = np.where(active & (diff <= 0), sigma, lo)
        vega = bs_vega(s, k, t_safe, r, q, sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = sigma - diff / vega
        inside = np.isfinite(newton) & (newton >= lo) & (newton <= hi)
        sigma = np.where(active, np.where(inside, newton, 0.5 * (lo + hi)), sigma)
    return np.where(solvable, sigma, np.nan)
