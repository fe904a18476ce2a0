"""Self-checks of the analytic Greeks against central finite differences of the pricer (used by the tests and
the benchmark report, so both measure the same thing)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from spyglass.options.black_scholes import bs_greeks, bs_price

# greek -> (name of the bumped input, bump, function of the bumped inputs whose derivative the greek is)
FiniteDifference = tuple[str, float, Callable[[dict], np.ndarray]]
FINITE_DIFFERENCES: dict[str, FiniteDifference] = {
    "delta": ("s", 1e-3, lambda a: bs_price(**a)),
    "gamma": ("s", 1e-3, lambda a: bs_greeks(**a)["delta"]),
    "vega": ("sigma", 1e-5, lambda a: bs_price(**a)),
    "theta": ("t", 1e-6, lambda a: -bs_price(**a)),  # theta is dV/dt = -dV/dT
    "rho": ("r", 1e-6, lambda a: bs_price(**a)),
    "vanna": ("sigma", 1e-6, lambda a: bs_greeks(**a)["delta"]),
    "charm": ("t", 1e-7, lambda a: -bs_greeks(**a)["delta"]),
    "vomma": ("sigma", 1e-6, lambda a: bs_greeks(**a)["vega"]),
}


def finite_difference_errors(s, k, t, r, q, sigma, is_call) -> dict[str, float]:
    """Worst error of each analytic Greek against its central difference, relative to max(|greek|, 1e-3 * the
    largest |greek| on the grid) so that near-zero Greeks are not divided by zero."""
    inputs = {"s": s, "k": k, "t": t, "r": r, "q": q, "sigma": sigma, "is_call": is_call}
    analytic = bs_greeks(**inputs)
    errors = {}
    for greek, (name, bump, f) in FINITE_DIFFERENCES.items():
        up = f({**inputs, name: np.asarray(inputs[name]) + bump})
        down = f({**inputs, name: np.asarray(inputs[name]) - bump})
        numeric = (up - down) / (2 * bump)
        scale = np.maximum(np.abs(analytic[greek]), 1e-3 * np.max(np.abs(analytic[greek])))
        errors[greek] = float(np.max(np.abs(analytic[greek] - numeric) / scale))
    return errors
