"""get_allocations: predicted excess return -> volatility-adjusted, clipped, smoothed position.

Position 1.0 = fully invested, 0 = all cash, 2 = twice levered. Every step is causal: the position for day t
uses the prediction made at close t and returns up to close t, and it earns the return from t to t+1.

Steps, each kept as a column: the variance forecast (EWMA of squared returns, or a GARCH(1,1)-t whose
parameters are fitted only on returns before the first prediction); the sizing method (fractional Kelly, or a
volatility target tilted by the predicted Sharpe); clipping to [min_position, max_position]; EWMA smoothing.
A volatility-target-only position with the same bounds and smoothing is kept beside it as a benchmark.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import ConfigError, DataError
from spyglass.features.targets import simple_returns
from spyglass.garch import fit_garch, next_day_variance

MIN_GARCH_FIT_DAYS = 500


def ewma_variance(returns: pd.Series, cfg: dict, first_prediction: pd.Timestamp, dates: pd.Series) -> pd.Series:
    """Daily variance forecast: EWMA (half-life `vol_halflife` days) of squared returns up to each day."""
    halflife = cfg["vol_halflife"]
    return returns.pow(2).ewm(halflife=halflife, min_periods=int(np.ceil(halflife))).mean()


def garch_variance(returns: pd.Series, cfg: dict, first_prediction: pd.Timestamp, dates: pd.Series) -> pd.Series:
    """Daily variance forecast for the next day from a GARCH(1,1)-t fitted on returns before the first
    prediction only, then run forward with those parameters (so no forecast uses later data)."""
    before = returns[(dates < first_prediction).to_numpy()].dropna()
    if len(before) < MIN_GARCH_FIT_DAYS:
        raise DataError(
            f"allocation.vol_model=garch needs {MIN_GARCH_FIT_DAYS} returns before the first prediction "
            f"({first_prediction.date()}); there are {len(before)}"
        )
    params = fit_garch(100.0 * before.to_numpy())
    forecast = next_day_variance(100.0 * returns.fillna(0.0).to_numpy(), params) / 1e4
    return pd.Series(forecast, index=returns.index).where(returns.notna())


VolModel = Callable[[pd.Series, dict, pd.Timestamp, pd.Series], pd.Series]
VOL_MODELS: dict[str, VolModel] = {"ewma": ewma_variance, "garch": garch_variance}


def kelly_position(prediction: pd.Series, variance: pd.Series, cfg: dict) -> pd.Series:
    """Fractional Kelly: kelly_fraction * mu / sigma^2 with daily mu (excess return) and daily variance."""
    return cfg["kelly_fraction"] * prediction / variance


def vol_target_position(prediction: pd.Series, variance: pd.Series, cfg: dict) -> pd.Series:
    """target_vol / sigma (annualised), scaled by 1 + sharpe_tilt * mu / sigma (the predicted daily Sharpe)."""
    sigma = np.sqrt(variance)
    return (
        cfg["target_vol"] / (sigma * np.sqrt(TRADING_DAYS_PER_YEAR)) * (1.0 + cfg["sharpe_tilt"] * prediction / sigma)
    )


SIZING_METHODS: dict[str, Callable[[pd.Series, pd.Series, dict], pd.Series]] = {
    "kelly": kelly_position,
    "vol_target": vol_target_position,
}


def smooth(position: pd.Series, halflife: float) -> pd.Series:
    """Causal EWMA of positions (halflife in days; 0 = no smoothing). Stays inside the clip bounds."""
    return position if halflife <= 0 else position.ewm(halflife=halflife, adjust=False).mean()


def get_allocations(predictions: pd.DataFrame, prices: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Positions for each prediction date.

    `predictions`: columns date, prediction (daily excess return). `prices`: PricesSchema.
    Output columns: date, prediction, vol_estimate (annualised decimal), allocation_raw, allocation_clipped,
    allocation (final, smoothed), allocation_vol_target (benchmark: target_vol / sigma, same bounds and
    smoothing, no model). Dates without a variance forecast yet are dropped.
    """
    for key, registry in (("method", SIZING_METHODS), ("vol_model", VOL_MODELS)):
        if cfg[key] not in registry:
            raise ConfigError(f"unknown allocation.{key} {cfg[key]!r}; choose one of {sorted(registry)}")
    if cfg["min_position"] > cfg["max_position"]:
        raise ConfigError("allocation.min_position must be <= allocation.max_position")
    first_prediction = pd.Timestamp(predictions["date"].min())
    returns = simple_returns(prices["adj_close"])
    variance = VOL_MODELS[cfg["vol_model"]](returns, cfg, first_prediction, prices["date"])
    market = pd.DataFrame({"date": prices["date"], "variance": variance})
    frame = predictions[["date", "prediction"]].merge(market, on="date", how="inner").dropna()
    frame = frame[frame["variance"] > 0].sort_values("date").reset_index(drop=True)
    raw = SIZING_METHODS[cfg["method"]](frame["prediction"], frame["variance"], cfg)
    clipped = raw.clip(cfg["min_position"], cfg["max_position"])
    vol_target_only = vol_target_position(frame["prediction"] * 0.0, frame["variance"], cfg)
    bounds = (cfg["min_position"], cfg["max_position"])
    return pd.DataFrame(
        {
            "date": frame["date"],
            "prediction": frame["prediction"],
            "vol_estimate": np.sqrt(frame["variance"] * TRADING_DAYS_PER_YEAR),
            "allocation_raw": raw,
            "allocation_clipped": clipped,
            "allocation": smooth(clipped, cfg["smoothing_halflife"]),
            "allocation_vol_target": smooth(vol_target_only.clip(*bounds), cfg["smoothing_halflife"]),
        }
    )


def allocation_for_day(
    history: pd.DataFrame, day: pd.Timestamp, prediction: float, prices: pd.DataFrame, cfg: dict
) -> pd.Series:
    """The position for one new day: `get_allocations` over the predictions before `day` (date, prediction:
    the pipeline's walk-forward record) plus the day's own, so the variance model, sizing, clipping and the
    smoothing's memory are exactly the pipeline's. The returned row has get_allocations' columns."""
    day = pd.Timestamp(day)
    before = history.loc[history["date"] < day, ["date", "prediction"]]
    today = pd.DataFrame({"date": [day], "prediction": [float(prediction)]})
    allocations = get_allocations(pd.concat([before, today], ignore_index=True), prices, cfg)
    if allocations.empty or allocations["date"].iloc[-1] != day:
        raise DataError(f"no allocation for {day.date()}: the prices have no variance forecast for that day")
    return allocations.iloc[-1]
