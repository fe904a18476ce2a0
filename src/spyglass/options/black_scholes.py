"""Black-Scholes-Merton with continuous dividend yield q: prices and Greeks, compiled with numba, run in parallel.

Conventions
-----------
S spot, K strike, T years to expiry (ACT/365), r and q continuously compounded annual rates, sigma annualised
volatility as a decimal (0.20 = 20%). Prices are in the underlying's currency.

    d1 = (ln(S/K) + (r - q + sigma^2/2) T) / (sigma sqrt(T)),   d2 = d1 - sigma sqrt(T)
    call = S e^(-qT) N(d1) - K e^(-rT) N(d2),                  put = K e^(-rT) N(-d2) - S e^(-qT) N(-d1)

Greeks (units):
    delta  dV/dS                     per 1 unit of spot      call e^(-qT) N(d1), put -e^(-qT) N(-d1)
    gamma  d2V/dS2                   per unit of spot^2      e^(-qT) n(d1) / (S sigma sqrt(T))
    vega   dV/dsigma                 per 1.00 of vol         S e^(-qT) n(d1) sqrt(T)   (/100 = per vol point)
    theta  dV/dt = -dV/dT            per year                (/365 = per calendar day)
    rho    dV/dr                     per 1.00 of rate        call K T e^(-rT) N(d2), put -K T e^(-rT) N(-d2)
    vanna  d(delta)/dsigma           per 1.00 of vol         -e^(-qT) n(d1) d2 / sigma
    charm  d(delta)/dt = -d(delta)/dT per year               (/365 = per calendar day)
    vomma  d(vega)/dsigma            per 1.00 of vol         vega d1 d2 / sigma

Expired (T <= 0) or zero-vol rows give NaN for every output. Inputs broadcast against each other like numpy.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "charm", "vomma")
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)


@nb.njit(cache=True, inline="always")
def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x * INV_SQRT_2)


@nb.njit(cache=True, inline="always")
def norm_pdf(x: float) -> float:
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


@nb.njit(cache=True, inline="always")
def _valid(s: float, k: float, t: float, sigma: float) -> bool:
    return t > 0.0 and sigma > 0.0 and s > 0.0 and k > 0.0


@nb.njit(cache=True, inline="always")
def price_one(s: float, k: float, t: float, r: float, q: float, sigma: float, is_call: bool) -> float:
    if not _valid(s, k, t, sigma):
        return math.nan
    vol_sqrt_t = sigma * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / vol_sqrt_t
    d2 = d1 - vol_sqrt_t
    disc_s = s * math.exp(-q * t)
    disc_k = k * math.exp(-r * t)
    if is_call:
        return disc_s * norm_cdf(d1) - disc_k * norm_cdf(d2)
    return disc_k * norm_cdf(-d2) - disc_s * norm_cdf(-d1)


@nb.njit(cache=True, inline="always")
def greeks_one(s: float, k: float, t: float, r: float, q: float, sigma: float, is_call: bool, out: np.ndarray, i: int):
    """Write the nine outputs of GREEKS for one contract into out[:, i]."""
    if not _valid(s, k, t, sigma):
        for j in range(9):
            out[j, i] = math.nan
        return
    sqrt_t = math.sqrt(t)
    vol_sqrt_t = sigma * sqrt_t
    d1 = (math.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / vol_sqrt_t
    d2 = d1 - vol_sqrt_t
    growth_q = math.exp(-q * t)
    disc_k = k * math.exp(-r * t)
    pdf = norm_pdf(d1)
    theta_common = -s * growth_q * pdf * sigma / (2.0 * sqrt_t)
    charm_common = growth_q * pdf * (2.0 * (r - q) * t - d2 * vol_sqrt_t) / (2.0 * t * vol_sqrt_t)
    vega = s * growth_q * pdf * sqrt_t
    if is_call:
        n1, n2 = norm_cdf(d1), norm_cdf(d2)
        out[0, i] = s * growth_q * n1 - disc_k * n2
        out[1, i] = growth_q * n1
        out[4, i] = theta_common - r * disc_k * n2 + q * s * growth_q * n1
        out[5, i] = t * disc_k * n2
        out[7, i] = q * growth_q * n1 - charm_common
    else:
        n1, n2 = norm_cdf(-d1), norm_cdf(-d2)
        out[0, i] = disc_k * n2 - s * growth_q * n1
        out[1, i] = -growth_q * n1
        out[4, i] = theta_common + r * disc_k * n2 - q * s * growth_q * n1
        out[5, i] = -t * disc_k * n2
        out[7, i] = -q * growth_q * n1 - charm_common
    out[2, i] = growth_q * pdf / (s * vol_sqrt_t)
    out[3, i] = vega
    out[6, i] = -growth_q * pdf * d2 / sigma
    out[8, i] = vega * d1 * d2 / sigma


@nb.njit(cache=True, parallel=True)
def _price_kernel(s, k, t, r, q, sigma, is_call):
    out = np.empty(s.size)  # allocated here so pages are first touched in parallel
    for i in nb.prange(s.size):
        out[i] = price_one(s[i], k[i], t[i], r[i], q[i], sigma[i], is_call[i])
    return out


@nb.njit(cache=True, parallel=True)
def _vega_kernel(s, k, t, r, q, sigma):
    out = np.empty(s.size)
    for i in nb.prange(s.size):
        if _valid(s[i], k[i], t[i], sigma[i]):
            sqrt_t = math.sqrt(t[i])
            d1 = (math.log(s[i] / k[i]) + (r[i] - q[i] + 0.5 * sigma[i] ** 2) * t[i]) / (sigma[i] * sqrt_t)
            out[i] = s[i] * math.exp(-q[i] * t[i]) * norm_pdf(d1) * sqrt_t
        else:
            out[i] = math.nan
    return out


@nb.njit(cache=True, parallel=True)
def greeks_into(s, k, t, r, q, sigma, is_call, out):
    """The nine outputs of GREEKS of each contract into the rows of `out` (9, n): flat float inputs."""
    for i in nb.prange(s.size):
        greeks_one(s[i], k[i], t[i], r[i], q[i], sigma[i], is_call[i], out, i)


FLOATS_AND_FLAG = (np.float64,) * 6 + (np.bool_,)


def flat_inputs(*arrays, dtypes=None) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast the inputs to one shape and flatten them to 1-d without copying where possible.

    Scalars become zero-stride views, full-shape arrays flat views; only partially broadcast arrays are copied.
    """
    dtypes = dtypes or (np.float64,) * len(arrays)
    arrays = [np.asarray(a, dtype=d) for a, d in zip(arrays, dtypes, strict=True)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    size = math.prod(shape)
    flat = []
    for a in arrays:
        if a.size == 1:
            flat.append(np.broadcast_to(a.reshape(1), (size,)))
        elif a.shape == shape:
            flat.append(np.ascontiguousarray(a).reshape(-1))
        else:
            flat.append(np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1))
    return shape, flat


def bs_price(s, k, t, r, q, sigma, is_call) -> np.ndarray:
    """Black-Scholes-Merton price of calls (is_call True) and puts; NaN where expired or sigma <= 0."""
    shape, flat = flat_inputs(s, k, t, r, q, sigma, is_call, dtypes=FLOATS_AND_FLAG)
    return _price_kernel(*flat).reshape(shape)


def bs_vega(s, k, t, r, q, sigma) -> np.ndarray:
    """dPrice/dsigma per 1.00 of volatility (divide by 100 for per vol point); the same for calls and puts."""
    shape, flat = flat_inputs(s, k, t, r, q, sigma)
    return _vega_kernel(*flat).reshape(shape)


def bs_greeks(s, k, t, r, q, sigma, is_call) -> dict[str, np.ndarray]:
    """Price and every Greek in GREEKS (units in the module docstring), keyed by name."""
    shape, flat = flat_inputs(s, k, t, r, q, sigma, is_call, dtypes=FLOATS_AND_FLAG)
    out = np.empty((len(GREEKS), flat[0].size))
    greeks_into(*flat, out)
    return {name: out[j].reshape(shape) for j, name in enumerate(GREEKS)}


def no_arbitrage_bounds(s, k, t, r, q, is_call) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) no-arbitrage price bounds.

    Call: [max(S e^-qT - K e^-rT, 0), S e^-qT];  put: [max(K e^-rT - S e^-qT, 0), K e^-rT].
    """
    disc_s = s * np.exp(-q * t)
    disc_k = k * np.exp(-r * t)
    lower = np.where(is_call, np.maximum(disc_s - disc_k, 0.0), np.maximum(disc_k - disc_s, 0.0))
    upper = np.where(is_call, disc_s, disc_k)
    return lower, upper
