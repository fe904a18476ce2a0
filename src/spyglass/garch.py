"""GARCH(1,1) with Student-t errors: fit, causal variance filter, term structure, and path simulation.

Returns are daily and in percent (arch's convention); variances are in percent squared per day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from spyglass.errors import DataError


@dataclass(frozen=True)
class GarchParams:
    """r_t = mu + e_t,  var_t = omega + alpha * e_(t-1)^2 + beta * var_(t-1),  e_t / sqrt(var_t) ~ t(nu)."""

    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float

    @property
    def persistence(self) -> float:
        return self.alpha + self.beta

    @property
    def long_run_variance(self) -> float:
        return self.omega / (1.0 - self.persistence)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def fit_garch(returns_pct: np.ndarray) -> GarchParams:
    """Maximum-likelihood GARCH(1,1)-t fit (arch) on daily percent returns."""
    from arch import arch_model

    result = arch_model(returns_pct, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
    p = result.params
    params = GarchParams(*(float(p[k]) for k in ("mu", "omega", "alpha[1]", "beta[1]", "nu")))
    if params.alpha < 1e-3 or params.persistence >= 0.999:
        raise DataError(
            f"GARCH fit on {len(returns_pct)} returns is degenerate (alpha={params.alpha:.2g}, "
            f"alpha+beta={params.persistence:.4f}); use a longer calibration window"
        )
    return params


def next_day_variance(returns_pct: np.ndarray, params: GarchParams) -> np.ndarray:
    """Element t is the variance forecast for day t+1 made at close t (uses returns up to and including t)."""
    shocks_sq = (np.asarray(returns_pct, dtype=float) - params.mu) ** 2
    # var_(t+1) = omega + alpha * e_t^2 + beta * var_t : a first-order linear filter, started at the long-run level.
    drive = params.omega + params.alpha * shocks_sq
    initial = np.array([params.beta * params.long_run_variance])
    from scipy.signal import lfilter  # imported here: scipy.signal takes half a second to load

    filtered, _ = lfilter([1.0], [1.0, -params.beta], drive, zi=initial)
    return filtered


def mean_variance_over(next_variance: np.ndarray, params: GarchParams, horizon_days: np.ndarray) -> np.ndarray:
    """Expected average daily variance over the next `horizon_days`, given the next-day forecast.

    Broadcasts: `next_variance[:, None]` against `horizon_days[None, :]` gives a (dates, horizons) array.
    """
    phi = params.persistence
    h = np.maximum(np.asarray(horizon_days, dtype=float), 1.0)
    decay = (1.0 - phi**h) / (h * (1.0 - phi))
    long_run = params.long_run_variance
    return long_run + (np.asarray(next_variance)[..., None] - long_run) * decay


def simulate_returns(n_days: int, params: GarchParams, rng: np.random.Generator) -> np.ndarray:
    """A GARCH(1,1)-t path of daily percent returns (unit-variance t shocks)."""
    shocks = rng.standard_t(params.nu, size=n_days) * np.sqrt((params.nu - 2.0) / params.nu)
    returns = np.empty(n_days)
    variance = params.long_run_variance
    for t in range(n_days):  # the recursion feeds each shock back into the next variance
        e = np.sqrt(variance) * shocks[t]
        returns[t] = params.mu + e
        variance = params.omega + params.alpha * e * e + params.beta * variance
    return returns
