"""Implied volatility, compiled with numba and run in parallel; one bad row never affects another.

Method: the price is normalised to Black's forward form, b = P / (D sqrt(F K)) with x = ln(F/K), and turned
into the equivalent out-of-the-money call by put-call parity (b_put(x) = b_call(-x)), so the solver works on
0 < b < e^(x/2) with x <= 0. It starts from the Corrado-Miller approximation (or the curve's inflection point
sqrt(2|x|) where that approximation fails) and takes Halley steps on ln b(s), s = sigma sqrt(T), kept inside a
bracket that each step narrows, until the step is below 1e-13 relative.

Rows without a solution get NaN and a reason (IVStatus). Accuracy: the repriced option matches the input
price to ~1e-10 relative (tests check 1e-6 absolute) wherever a solution exists.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numba as nb
import numpy as np

from spyglass.options.black_scholes import FLOATS_AND_FLAG, INV_SQRT_2PI, flat_inputs, norm_cdf

MAX_ITERATIONS = 40
S_MAX = 10.0  # sigma sqrt(T) above this is treated as no solution
MIN_TIME_VALUE = 1e-12  # normalised time value below this is rounding noise: treated as at intrinsic


class IVStatus(IntEnum):
    """Why a row has (or has no) implied volatility."""

    OK = 0
    NO_QUOTE = 1  # price missing, zero or negative
    EXPIRED = 2  # T <= 0
    BELOW_INTRINSIC = 3  # price at or below the (discounted) intrinsic value
    ABOVE_UPPER_BOUND = 4  # price at or above the no-arbitrage upper bound
    NOT_CONVERGED = 5  # the solver ran out of iterations (should not happen for valid input)


@nb.njit(cache=True, inline="always")
def _normalised_call(x: float, s: float) -> float:
    """Black's normalised call value e^(x/2) N(x/s + s/2) - e^(-x/2) N(x/s - s/2)."""
    return math.exp(0.5 * x) * norm_cdf(x / s + 0.5 * s) - math.exp(-0.5 * x) * norm_cdf(x / s - 0.5 * s)


@nb.njit(cache=True)
def _solve_normalised(beta: float, x: float) -> tuple[float, int]:
    """s = sigma sqrt(T) with b_call(x, s) = beta, for x <= 0 and 0 < beta < e^(x/2)."""
    # Corrado-Miller in normalised units (spot -> e^(x/2), strike -> e^(-x/2)).
    a, c = math.exp(0.5 * x), math.exp(-0.5 * x)
    half_gap = beta - 0.5 * (a - c)
    disc = half_gap * half_gap - (a - c) ** 2 / math.pi
    s = math.sqrt(2.0 * math.pi) / (a + c) * (half_gap + math.sqrt(disc)) if disc > 0 else 0.0
    if not (s > 1e-8):
        s = math.sqrt(2.0 * abs(x)) if x != 0.0 else math.sqrt(2.0 * math.pi) * beta
    lo, hi = 0.0, S_MAX
    log_beta = math.log(beta)
    for iteration in range(MAX_ITERATIONS):
        b = _normalised_call(x, s)
        if b > beta:
            hi = s
        else:
            lo = s
        if b <= 0.0:  # underflow far below the root: move up inside the bracket
            s = 0.5 * (lo + hi) if hi < S_MAX else 2.0 * s
            continue
        d1 = x / s + 0.5 * s
        vega = a * INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)  # db/ds
        g = math.log(b) - log_beta
        g1 = vega / b
        g2 = vega * (x * x / (s * s * s) - 0.25 * s) / b - g1 * g1
        step = 2.0 * g * g1 / (2.0 * g1 * g1 - g * g2)
        if abs(step) <= 1e-13 * s or hi - lo <= 1e-13 * s:  # converged, or the bracket holds only rounding
            return s - step, iteration + 1
        candidate = s - step
        s = candidate if lo < candidate < hi else 0.5 * (lo + hi)
    return math.nan, -1


@nb.njit(cache=True, parallel=True)
def _implied_vol_kernel(price, s, k, t, r, q, is_call):
    vol = np.empty(price.size)
    status = np.empty(price.size, dtype=np.int8)
    for i in nb.prange(price.size):
        p = price[i]
        if not (p > 0.0) or not math.isfinite(p):
            vol[i], status[i] = math.nan, 1
            continue
        if not (t[i] > 0.0):
            vol[i], status[i] = math.nan, 2
            continue
        discount = math.exp(-r[i] * t[i])
        forward = s[i] * math.exp((r[i] - q[i]) * t[i])
        scale = math.sqrt(forward * k[i])
        beta = p / (discount * scale)
        x = math.log(forward / k[i])
        if not is_call[i]:
            x = -x  # a put at x is a call at -x in normalised units
        upper = math.exp(0.5 * x)
        if beta >= upper:
            vol[i], status[i] = math.nan, 4
            continue
        if x > 0.0:  # in the money: keep the time value, solve for the out-of-the-money twin
            beta -= upper - math.exp(-0.5 * x)
            x = -x
        if not (beta > MIN_TIME_VALUE):
            vol[i], status[i] = math.nan, 3
            continue
        total_vol, iterations = _solve_normalised(beta, x)
        if iterations < 0:
            vol[i], status[i] = math.nan, 5
        else:
            vol[i], status[i] = total_vol / math.sqrt(t[i]), 0
    return vol, status


def solve_implied_vol(price, s, k, t, r, q, is_call) -> tuple[np.ndarray, np.ndarray]:
    """(iv, status): annualised IV as a decimal and an IVStatus code per row (NaN IV unless status is OK)."""
    shape, flat = flat_inputs(price, s, k, t, r, q, is_call, dtypes=FLOATS_AND_FLAG)
    vol, status = _implied_vol_kernel(*flat)
    return vol.reshape(shape), status.reshape(shape)


def implied_vol(price, s, k, t, r, q, is_call) -> np.ndarray:
    """Annualised IV (decimal) reproducing `price` under Black-Scholes-Merton; NaN where none does."""
    return solve_implied_vol(price, s, k, t, r, q, is_call)[0]
