"""One registry of performance metrics. Each is a small function of daily simple returns (and positions),
registered under a stable name with a title; `compute_metrics` iterates the registry.

Conventions: 252 periods per year; returns compound geometrically; Sharpe and Sortino use returns in excess
of the daily risk-free rate (annual rate / 252).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReturnSeries:
    """Inputs shared by all metrics: daily returns, the positions that earned them, the daily risk-free rate."""

    returns: np.ndarray
    positions: np.ndarray
    rf_daily: float | np.ndarray = 0.0  # per day: one rate, or one per return
    periods_per_year: int = 252


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    compute: Callable[[ReturnSeries], float]


METRICS: dict[str, Metric] = {}


def metric(name: str, title: str) -> Callable[[Callable[[ReturnSeries], float]], Callable[[ReturnSeries], float]]:
    """Register a metric function under `name`."""

    def register(fn: Callable[[ReturnSeries], float]) -> Callable[[ReturnSeries], float]:
        METRICS[name] = Metric(name, title, fn)
        return fn

    return register


def _equity(s: ReturnSeries) -> np.ndarray:
    return np.cumprod(1.0 + s.returns)


@metric("cagr", "CAGR")
def cagr(s: ReturnSeries) -> float:
    """prod(1 + r)^(periods_per_year / N) - 1."""
    return float(_equity(s)[-1] ** (s.periods_per_year / len(s.returns)) - 1.0)


@metric("ann_vol", "Annualised volatility")
def ann_vol(s: ReturnSeries) -> float:
    """std(r, ddof=1) * sqrt(periods_per_year)."""
    return float(np.std(s.returns, ddof=1) * np.sqrt(s.periods_per_year))


@metric("sharpe", "Sharpe ratio")
def sharpe(s: ReturnSeries) -> float:
    """mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year); 0 when the std is 0."""
    excess = s.returns - s.rf_daily
    sd = np.std(excess, ddof=1)
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


def compute_metrics(series: ReturnSeries, names: list[str] | None = None) -> dict[str, float]:
    """{name: value} for the named metrics (all registered ones by default), rounded to 6 decimals."""
    if len(series.returns) < 2:
        raise ValueError("need at least 2 daily returns to compute metrics")
    chosen = names or list(METRICS)
    return {name: round(METRICS[name].compute(series), 6) for name in chosen}
