"""Targets: future returns. Row t's target over h days is realised from close t to close t+h, so it is never a
feature, and a walk-forward split must purge at least h rows before each test block (spyglass.models.cv)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import ConfigError

TARGET_PREFIX = "target_ret_"


def simple_returns(adj_close: pd.Series) -> pd.Series:
    """Return from the previous close to this close (row t: known at close t; first row NaN)."""
    return adj_close.pct_change()


def daily_risk_free(prices: pd.DataFrame, annual_rate: float) -> pd.Series:
    """Risk-free return for the day starting at each date: the prices' own `risk_free_daily` column where the
    source provides one, else the constant annual rate / 252."""
    if "risk_free_daily" in prices:
        return prices["risk_free_daily"].astype(float)
    return pd.Series(annual_rate / TRADING_DAYS_PER_YEAR, index=prices.index)


def target_column(horizon_days: int) -> str:
    """The target column of a horizon: target_ret_<h>d."""
    return f"{TARGET_PREFIX}{int(horizon_days)}d"


def is_target(column: str) -> bool:
    """Whether a feature-table column is a target (never a feature)."""
    return str(column).startswith(TARGET_PREFIX)


def horizons(configured: int | Iterable[int]) -> tuple[int, ...]:
    """target.horizon_days as sorted distinct trading-day counts (one number or a list); ConfigError otherwise."""
    values = [configured] if isinstance(configured, int | str | float) else list(configured)
    try:
        days = sorted({int(v) for v in values if float(v) == int(v)} if values else set())
    except (TypeError, ValueError):
        days = []
    if not days or len(days) != len(values) or days[0] < 1:
        raise ConfigError(f"target.horizon_days must be a whole number of trading days >= 1, or a list of them; "
                          f"got {configured!r}")  # fmt: skip
    return tuple(days)


def forward_excess_log_return(
    adj_close: pd.Series, risk_free_daily: float | pd.Series, horizon_days: int = 1
) -> pd.Series:
    """Row t: ln(close_(t+h) / close_t) minus the risk-free returns of rows t .. t+h-1 (each row's rate is for the
    day starting at it); the last h rows are NaN (not yet realised)."""
    h = int(horizon_days)
    rf = pd.Series(risk_free_daily, index=adj_close.index, dtype=float)
    log_close = np.log(adj_close.astype(float))
    return (log_close.shift(-h) - log_close) - rf[::-1].rolling(h).sum()[::-1].where(log_close.shift(-h).notna())


def log_returns(adj_close: pd.Series) -> pd.Series:
    """Log return from the previous close."""
    return np.log(adj_close).diff()
