"""get_allocations: predicted excess return -> volatility-adjusted, clipped, smoothed position.

Position 1.0 = fully invested, 0 = all cash, 2 = twice levered. Every step is causal: the position for day t
uses the prediction made at close t and returns up to close t, and it earns the return from t to t+1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from spyglass.features.targets import TRADING_DAYS_PER_YEAR, simple_returns


def ewma_variance(returns: pd.Series, halflife: float) -> pd.Series:
    """Daily variance forecast: EWMA of squared returns (zero mean) up to and including each day."""
    return returns.pow(2).ewm(halflife=halflife, min_periods=int(np.ceil(halflife))).mean()


def kelly_position(prediction: pd.Series, variance: pd.Series, cfg: dict) -> pd.Series:
    """Fractional Kelly: kelly_fraction * mu / sigma^2 with daily mu (excess return) and daily variance."""
    return cfg["kelly_fraction"] * prediction / variance


SIZING_METHODS: dict[str, Callable[[pd.Series, pd.Series, dict], pd.Series]] = {"kelly": kelly_position}


def smooth(position: pd.Series, halflife: float) -> pd.Series:
    """Causal EWMA of positions (halflife in days; 0 = no smoothing). Stays inside the clip bounds."""
    return position if halflife <= 0 else position.ewm(halflife=halflife, adjust=False).mean()


def get_allocations(predictions: pd.DataFrame, prices: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Positions for each prediction date.

    `predictions`: columns date, prediction (daily excess return). `prices`: PricesSchema.
    Output columns: date, prediction, vol_estimate (annualised decimal), allocation_raw, allocation_clipped,
    allocation (final, smoothed). Dates without a variance forecast yet are dropped.
    """
    method = cfg["method"]
    if method not in SIZING_METHODS:
        raise ValueError(f"unknown allocation method {method!r}; choose one of {sorted(SIZING_METHODS)}")
    if cfg["min_position"] > cfg["max_position"]:
        raise ValueError("allocation.min_position must be <= allocation.max_position")
    variance = ewma_variance(simple_returns(prices["adj_close"]), cfg["vol_halflife"])
    market = pd.DataFrame({"date": prices["date"], "variance": variance})
    frame = predictions[["date", "prediction"]].merge(market, on="date", how="inner").dropna()
    frame = frame[frame["variance"] > 0].sort_values("date").reset_index(drop=True)
    raw = SIZING_METHODS[method](frame["prediction"], frame["variance"], cfg)
    clipped = raw.clip(cfg["min_position"], cfg["max_position"])
    return pd.DataFrame(
        {
            "date": frame["date"],
            "prediction": frame["prediction"],
            "vol_estimate": np.sqrt(frame["variance"] * TRADING_DAYS_PER_YEAR),
            "allocation_raw": raw,
            "allocation_clipped": clipped,
            "allocation": smooth(clipped, cfg["smoothing_halflife"]),
        }
    )
