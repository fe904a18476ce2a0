"""Targets: future returns. Row t's target is realised from close t to close t+1, so it is never a feature."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spyglass.daycount import TRADING_DAYS_PER_YEAR


def simple_returns(adj_close: pd.Series) -> pd.Series:
    """Return from the previous close to this close (row t: known at close t; first row NaN)."""
    return adj_close.pct_change()


def daily_risk_free(prices: pd.DataFrame, annual_rate: float) -> pd.Series:
    """Risk-free return for the day starting at each date: the prices' own `risk_free_daily` column where the
    source provides one, else the constant annual rate / 252."""
    if "risk_free_daily" in prices:
        return prices["risk_free_daily"].astype(float)
    return pd.Series(annual_rate / TRADING_DAYS_PER_YEAR, index=prices.index)


def forward_excess_return(adj_close: pd.Series, risk_free_daily: float | pd.Series) -> pd.Series:
    """Return from close t to close t+1 minus the risk-free return of that day (row t's rate); last row NaN."""
    return simple_returns(adj_close).shift(-1) - risk_free_daily


def log_returns(adj_close: pd.Series) -> pd.Series:
    """Log return from the previous close."""
    return np.log(adj_close).diff()
