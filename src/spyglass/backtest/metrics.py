"""One registry of performance metrics. Each is a small function of daily simple returns (and positions),
registered under a stable name with a title; `compute_metrics` iterates the registry.

Conventions: 252 periods per year; returns compound geometrically; Sharpe and Sortino use returns in excess
of the daily risk-free rate (annual rate / 252).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import DataError


@dataclass(frozen=True)
class ReturnSeries:
    """Inputs shared by all metrics: daily returns, the positions that earned them, the daily risk-free rate."""

    returns: np.ndarray
    positions: np.ndarray
    rf_daily: float | np.ndarray = 0.0  # per day: one rate, or one per return
    periods_per_year: int = TRADING_DAYS_PER_YEAR
    market: np.ndarray | None = None  # the underlying's returns on the same days (Hull score)
    n_trials: int = 1  # strategies tried before this one (deflated Sharpe)


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    compute: Callable[[ReturnSeries], float]


METRICS: dict[str, Metric] = {}


class NotApplicable(Exception):
    """A metric that does not apply to this series; the message says why (becomes a note beside a null)."""


def metric(name: str, title: str) -> Callable[[Callable[[ReturnSeries], float]], Callable[[ReturnSeries], float]]:
    """Register a metric function under `name`."""

    def register(fn: Callable[[ReturnSeries], float]) -> Callable[[ReturnSeries], float]:
        METRICS[name] = Metric(name, title, fn)
        return fn

    return register


# A standard deviation this small against the values' size is rounding noise: the series is constant.
CONSTANT_TOLERANCE = 1e-12


def spread(values: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """std(values, ddof=1) along `axis`, or 0 where the series is constant up to rounding (a constant 1/3 comes out
    with a standard deviation of about 1e-17, which would make any ratio over it explode)."""
    values = np.asarray(values, dtype=float)
    sd = values.std(axis=axis, ddof=1)
    constant = sd <= CONSTANT_TOLERANCE * np.abs(values).mean(axis=axis)
    return np.where(constant, 0.0, sd) if axis is not None else (0.0 if constant else float(sd))


def _equity(s: ReturnSeries) -> np.ndarray:
    return np.cumprod(1.0 + s.returns)


@metric("cagr", "CAGR")
def cagr(s: ReturnSeries) -> float:
    """prod(1 + r)^(periods_per_year / N) - 1."""
    return float(_equity(s)[-1] ** (s.periods_per_year / len(s.returns)) - 1.0)


@metric("ann_vol", "Annualised volatility")
def ann_vol(s: ReturnSeries) -> float:
    """std(r, ddof=1) * sqrt(periods_per_year) (0 for a constant series)."""
    return float(spread(s.returns) * np.sqrt(s.periods_per_year))


@metric("sharpe", "Sharpe ratio")
def sharpe(s: ReturnSeries) -> float:
    """mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year); 0 when the std is 0."""
    excess = s.returns - s.rf_daily
    sd = spread(excess)
    return float(np.mean(excess) / sd * np.sqrt(s.periods_per_year)) if sd > 0 else 0.0


@metric("sortino", "Sortino ratio")
def sortino(s: ReturnSeries) -> float:
    """mean(r - rf) / sqrt(mean(min(r - rf, 0)^2)) * sqrt(periods_per_year); 0 without downside."""
    excess = s.returns - s.rf_daily
    downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2))
    return float(np.mean(excess) / downside * np.sqrt(s.periods_per_year)) if downside > 0 else 0.0


@metric("max_drawdown", "Maximum drawdown")
def max_drawdown(s: ReturnSeries) -> float:
    """min over t of equity_t / max(equity up to t) - 1 (a negative number), equity starting at 1."""
    equity = np.concatenate([[1.0], _equity(s)])
    return float(np.min(equity / np.maximum.accumulate(equity) - 1.0))


@metric("calmar", "Calmar ratio")
def calmar(s: ReturnSeries) -> float:
    """CAGR / |max drawdown|; 0 without a drawdown."""
    mdd = max_drawdown(s)
    return float(cagr(s) / abs(mdd)) if mdd < 0 else 0.0


@metric("turnover", "Turnover per year")
def turnover(s: ReturnSeries) -> float:
    """mean(|w_t - w_(t-1)|) * periods_per_year, with the position before the first day = 0."""
    return float(np.mean(np.abs(np.diff(s.positions, prepend=0.0))) * s.periods_per_year)


@metric("hit_rate", "Hit rate")
def hit_rate(s: ReturnSeries) -> float:
    """Share of days with a positive return, among days with a non-zero return."""
    active = s.returns != 0
    return float(np.mean(s.returns[active] > 0)) if active.any() else 0.0


@metric("exposure", "Average exposure")
def exposure(s: ReturnSeries) -> float:
    """mean(w): the average position (1 = fully invested)."""
    return float(np.mean(s.positions))


@metric("max_drawdown_days", "Longest drawdown (days)")
def max_drawdown_days(s: ReturnSeries) -> float:
    """Most consecutive days spent below an earlier equity peak (equity starting at 1)."""
    equity = np.concatenate([[1.0], _equity(s)])
    under = np.concatenate([[False], equity < np.maximum.accumulate(equity), [False]])
    edges = np.flatnonzero(np.diff(under.astype(np.int8)))  # starts and ends of the runs below a peak
    return float((edges[1::2] - edges[::2]).max()) if len(edges) else 0.0


@metric("break_even_cost_bps", "Break-even cost (bp per unit turnover)")
def break_even_cost_bps(s: ReturnSeries) -> float:
    """mean(r - rf) / mean(|w_t - w_(t-1)|) * 10,000: the cost per unit of turnover that would take these
    returns' excess over cash to zero (on gross returns: the classic break-even; on net: the headroom left)."""
    turnover = np.mean(np.abs(np.diff(s.positions, prepend=0.0)))
    return float(np.mean(s.returns - s.rf_daily) / turnover * 10_000) if turnover > 0 else float("inf")


@metric("hull_score", "Hull Tactical competition score")
def hull_score(s: ReturnSeries) -> float:
    """The competition's adjusted Sharpe, ported from its scoring code (positions must lie in [0, 2]):
    strategy excess sx = r - rf; s_mean = prod(1 + sx)^(1/N) - 1; s_std = std(r, ddof=1);
    sharpe = s_mean / s_std * sqrt(252); vol_pen = 1 + max(0, s_std / std(market, ddof=1) - 1.2);
    m_mean = prod(1 + market - rf)^(1/N) - 1; gap = max(0, (m_mean - s_mean) * 100 * 252);
    ret_pen = 1 + gap^2 / 100; score = min(sharpe / (vol_pen * ret_pen), 1e6). NaN without market returns."""
    if s.market is None:
        return float("nan")
    if np.any(s.positions < 0) or np.any(s.positions > 2):
        raise NotApplicable(
            f"positions range over [{s.positions.min():.3g}, {s.positions.max():.3g}]; "
            "the competition scores positions in [0, 2] only"
        )
    n = len(s.returns)
    s_mean = np.prod(1.0 + s.returns - s.rf_daily) ** (1.0 / n) - 1.0
    s_std = spread(s.returns)
    if s_std == 0:
        return 0.0
    sharpe = s_mean / s_std * np.sqrt(TRADING_DAYS_PER_YEAR)
    vol_penalty = 1.0 + max(0.0, s_std / np.std(s.market, ddof=1) - 1.2)
    m_mean = np.prod(1.0 + s.market - s.rf_daily) ** (1.0 / n) - 1.0
    gap = max(0.0, (m_mean - s_mean) * 100 * TRADING_DAYS_PER_YEAR)
    return float(min(sharpe / (vol_penalty * (1.0 + gap**2 / 100)), 1e6))


def expected_max_sharpe(n_trials: int) -> float:
    """E[max] of `n_trials` independent standard normals (Bailey & Lopez de Prado's approximation):
    (1 - e) z(1 - 1/N) + e z(1 - 1/(N exp(1))), e = Euler-Mascheroni; 0 for one trial. Times the Sharpe
    estimate's standard error sqrt(1/(T-1)) it is the Sharpe an unskilled search reaches by luck."""
    from scipy.special import ndtri  # the inverse normal cdf

    n = max(int(n_trials), 1)
    if n == 1:
        return 0.0
    return float((1 - np.euler_gamma) * ndtri(1 - 1 / n) + np.euler_gamma * ndtri(1 - 1 / (n * np.e)))


@metric("deflated_sharpe", "Deflated Sharpe ratio (probability)")
def deflated_sharpe(s: ReturnSeries) -> float:
    """Bailey & Lopez de Prado (2014): P(true Sharpe > SR0) given skew g3 and kurtosis g4 of the excess returns,
    with SR0 the expected maximum Sharpe of `n_trials` unskilled trials (per-period units):
    SR0 = sqrt(1/(T-1)) * ((1 - e) z(1 - 1/N) + e z(1 - 1/(N exp(1)))), e = Euler-Mascheroni, SR0 = 0 when N = 1;
    DSR = Phi((SR - SR0) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))."""
    from scipy.special import ndtr  # the normal cdf (a fast ufunc)

    excess = s.returns - s.rf_daily
    t = len(excess)
    sd = spread(excess)
    if sd == 0 or t < 3:
        return 0.0
    sr = np.mean(excess) / sd
    sr0 = np.sqrt(1.0 / (t - 1)) * expected_max_sharpe(s.n_trials)
    centred = excess - np.mean(excess)
    moment_sd = np.sqrt(np.mean(centred**2))  # population moments, as scipy.stats.skew / kurtosis compute them
    g3, g4 = np.mean(centred**3) / moment_sd**3, np.mean(centred**4) / moment_sd**4
    denominator = np.sqrt(max(1 - g3 * sr + (g4 - 1) / 4 * sr**2, 1e-12))
    return float(ndtr((sr - sr0) * np.sqrt(t - 1) / denominator))


def compute_metrics(
    series: ReturnSeries, names: list[str] | None = None, notes: dict[str, str] | None = None
) -> dict[str, float | None]:
    """{name: value} for the named metrics (all registered ones by default), rounded to 6 decimals; None where
    a metric is undefined (no turnover for a break-even cost, no market returns for the Hull score) or does not
    apply (positions outside the Hull score's [0, 2]: the reason goes to `notes`, when given)."""
    if len(series.returns) < 2:
        raise DataError("need at least 2 daily returns to compute metrics")
    values: dict[str, float] = {}
    for name in names or list(METRICS):
        try:
            values[name] = METRICS[name].compute(series)
        except NotApplicable as reason:
            values[name] = float("nan")
            if notes is not None:
                notes[name] = str(reason)
    return {name: round(float(v), 6) if np.isfinite(v) else None for name, v in values.items()}
