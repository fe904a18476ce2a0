"""Black-Scholes-Merton with continuous dividend yield q, vectorised over whole chains (numpy broadcasting).

Conventions: S spot, K strike, T years to expiry (ACT/365), r and q continuously compounded annual rates,
sigma annualised volatility as a decimal (0.20 = 20%). Prices are in the underlying's currency.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

ArrayLike = np.ndarray | float


def d1_d2(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike):
    """d1 = (ln(S/K) + (r - q + sigma^2/2) T) / (sigma sqrt(T)),  d2 = d1 - sigma sqrt(T)."""
    vol_sqrt_t = sigma * np.sqrt(t)
    d1 = (np.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / vol_sqrt_t
    return d1, d1 - vol_sqrt_t


def bs_price(
    s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike, is_call
) -> np.ndarray:
    """Call: S e^(-qT) N(d1) - K e^(-rT) N(d2);  put: K e^(-rT) N(-d2) - S e^(-qT) N(-d1)."""
    d1, d2 = d1_d2(s, k, t, r, q, sigma)
    disc_s = s * np.exp(-q * t)
    disc_k = k * np.exp(-r * t)
    call = disc_s * ndtr(d1) - disc_k * ndtr(d2)
    put = disc_k * ndtr(-d2) - disc_s * ndtr(-d1)
    return np.where(is_call, call, put)


def bs_vega(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, sigma: ArrayLike) -> np.ndarray:
    """dPrice/dsigma per 1.00 of volatility (divide by 100 for per vol point); same for calls and puts."""
    d1, _ = d1_d2(s, k, t, r, q, sigma)
    return s * np.exp(-q * t) * np.exp(-0.5 * d1 * d1) / np.sqrt(2.0 * np.pi) * np.sqrt(t)


def no_arbitrage_bounds(s: ArrayLike, k: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike, is_call):
    """(lower, upper) no-arbitrage price bounds.

    Call: [max(S e^-qT - K e^-rT, 0), S e^-qT];  put: [max(K e^-rT - S e^-qT, 0), K e^-rT].
    """
    disc_s = s * np.exp(-q * t)
    disc_k = k * np.exp(-r * t)
    lower = np.where(is_call, np.maximum(disc_s - disc_k, 0.0), np.maximum(disc_k - disc_s, 0.0))
    upper = np.where(is_call, disc_s, disc_k)
    return lower, upper
