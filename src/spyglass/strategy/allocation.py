"""get_allocations: a forecast of the h-day excess return -> a volatility-adjusted, clipped, smoothed, rebalanced
position.

Position 1.0 = fully invested, 0 = all cash, 2 = twice levered. Every step is causal: the position for day t
uses the prediction made at close t, returns up to close t, and outcomes of earlier predictions only once they
are realised (row s's h-day outcome at close s + h); it earns the return from t to t+1.

Steps (`SizingPlan` says which sizing, the forecast's horizon and the rebalance schedule; the comparison's
choice sets it, spyglass.choice):
- the variance forecast: EWMA of squared returns, or a GARCH(1,1)-t fitted only on returns before the first
  prediction;
- the sizing method (SIZING_METHODS), on the daily excess return mu = prediction / h:
  `vol_tilt` (the default candidate): the vol-target position target_vol / sigma, tilted by the forecast:
      x (1 + tilt x gate x z), z = the prediction's z-score against its own past (expanding mean and sd, clipped
      to +-tilt_z_clip), gate = the forecast's walk-forward IC on outcomes realised so far / tilt_full_ic,
      clipped to [0, 1]. A forecast that has not predicted (IC <= 0) leaves the vol target as it is; the tilt's
      scale is learned from earlier data only;
  `vol_target`: target_vol / sigma x (1 + sharpe_tilt x mu / sigma);
  `kelly`: kelly_fraction x mu / sigma^2;
- clipping to [min_position, max_position]; EWMA smoothing (`smoothing_halflife`, 0 = none);
- rebalancing: the position changes only on the schedule's days (daily, the first trading day of each week or
  month) and only when the new target differs from the held position by more than `no_trade_band`.
A volatility-target-only position with the same bounds, smoothing, schedule and band is kept beside it as the
benchmark; with `method=None` (the comparison found nothing that beats it) the allocation is that position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import ConfigError, DataError
from spyglass.features.targets import daily_risk_free, forward_excess_log_return, simple_returns
from spyglass.garch import fit_garch, next_day_variance

MIN_GARCH_FIT_DAYS = 500
SCHEDULES = ("daily", "weekly", "monthly")


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


@dataclass(frozen=True)
class SizingPlan:
    """How to size: `method` (a key of SIZING_METHODS; None = hold the plain vol target), the horizon of the
    forecast in trading days, and the rebalance schedule (daily, weekly or monthly)."""

    method: str | None
    horizon_days: int = 1
    rebalance: str = "daily"

    def __post_init__(self) -> None:
        if self.method is not None and self.method not in SIZING_METHODS:
            raise ConfigError(f"unknown sizing {self.method!r}; choose one of {sorted(SIZING_METHODS)}")
        if self.rebalance not in SCHEDULES:
            raise ConfigError(f"allocation.rebalance must be one of {[*SCHEDULES, 'horizon']}, not {self.rebalance!r}")


def rebalance_schedule(configured: str, horizon_days: int) -> str:
    """allocation.rebalance as a schedule: `horizon` follows the forecast (daily for 1 day, weekly up to 20 days,
    monthly beyond); the others as named."""
    if configured != "horizon":
        return configured
    return "daily" if horizon_days <= 1 else "weekly" if horizon_days < 21 else "monthly"


@dataclass(frozen=True)
class SizingInputs:
    """What a sizing method sees, one row per prediction date: the forecast of the h-day excess log return, the
    daily variance forecast, each row's realised h-day outcome and, per row, how many leading rows' outcomes
    were realised by its close."""

    prediction: pd.Series
    variance: pd.Series
    outcome: pd.Series
    known_rows: np.ndarray
    horizon_days: int

    @property
    def daily_mu(self) -> pd.Series:
        return self.prediction / self.horizon_days


def vol_target_only(variance: pd.Series, cfg: dict) -> pd.Series:
    """target_vol / sigma (both annualised): the position a plain volatility target holds."""
    return cfg["target_vol"] / np.sqrt(variance * TRADING_DAYS_PER_YEAR)


def kelly_position(inputs: SizingInputs, cfg: dict) -> pd.Series:
    """Fractional Kelly: kelly_fraction * mu / sigma^2 with daily mu (excess return) and daily variance."""
    return cfg["kelly_fraction"] * inputs.daily_mu / inputs.variance


def vol_target_position(inputs: SizingInputs, cfg: dict) -> pd.Series:
    """target_vol / sigma (annualised), scaled by 1 + sharpe_tilt * mu / sigma (the predicted daily Sharpe)."""
    sigma = np.sqrt(inputs.variance)
    return vol_target_only(inputs.variance, cfg) * (1.0 + cfg["sharpe_tilt"] * inputs.daily_mu / sigma)


def expanding_zscore(values: pd.Series, min_periods: int, clip: float) -> pd.Series:
    """(value - mean of values so far) / their sd (the row itself included), clipped to +-clip; 0 before
    `min_periods` rows or where the sd is 0."""
    z = (values - values.expanding(min_periods).mean()) / values.expanding(min_periods).std()
    return z.replace([np.inf, -np.inf], np.nan).fillna(0.0).clip(-clip, clip)


def skill_gate(inputs: SizingInputs, full_ic: float, min_history: int) -> pd.Series:
    """Per row, the Pearson IC of the predictions with their outcomes over the rows realised by its close, / full_ic,
    clipped to [0, 1]; 0 until `min_history` outcomes are known."""
    p, y = inputs.prediction.to_numpy(float), inputs.outcome.to_numpy(float)
    usable = np.isfinite(p) & np.isfinite(y)
    p, y = np.where(usable, p, 0.0), np.where(usable, y, 0.0)
    sums = [np.concatenate([[0.0], np.cumsum(v)]) for v in (usable.astype(float), p, y, p * p, y * y, p * y)]
    n, sp, sy, spp, syy, spy = (s[inputs.known_rows] for s in sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = spy - sp * sy / n
        ic = cov / np.sqrt((spp - sp**2 / n) * (syy - sy**2 / n))
    ic = np.where((n >= min_history) & np.isfinite(ic), ic, 0.0)
    return pd.Series(np.clip(ic / full_ic, 0.0, 1.0), index=inputs.prediction.index)


def vol_tilt_position(inputs: SizingInputs, cfg: dict) -> pd.Series:
    """The vol-target position x (1 + tilt x skill gate x the forecast's walk-forward z-score)."""
    min_history = int(cfg["tilt_min_history"])
    z = expanding_zscore(inputs.prediction, min_history, float(cfg["tilt_z_clip"]))
    gate = skill_gate(inputs, float(cfg["tilt_full_ic"]), min_history)
    return vol_target_only(inputs.variance, cfg) * (1.0 + float(cfg["tilt"]) * gate * z)


SIZING_METHODS: dict[str, Callable[[SizingInputs, dict], pd.Series]] = {
    "vol_tilt": vol_tilt_position,
    "vol_target": vol_target_position,
    "kelly": kelly_position,
}


def smooth(position: pd.Series, halflife: float) -> pd.Series:
    """Causal EWMA of positions (halflife in days; 0 = no smoothing). Stays inside the clip bounds."""
    return position if halflife <= 0 else position.ewm(halflife=halflife, adjust=False).mean()


def rebalance_days(dates: pd.Series, schedule: str) -> np.ndarray:
    """True on the days a position may change: every day, or the first trading day of each week or month (known
    at that day's close: the day before was in another period). The first day is always one."""
    dates = pd.DatetimeIndex(dates)
    if schedule == "daily":
        return np.ones(len(dates), dtype=bool)
    period = dates.to_period("W" if schedule == "weekly" else "M").asi8
    return np.concatenate([[True], period[1:] != period[:-1]]) if len(dates) else np.zeros(0, dtype=bool)


def hold_between_rebalances(target: pd.Series, trade_days: np.ndarray, band: float) -> pd.Series:
    """The position held: the target on a trade day when it differs from the held position by more than `band`
    (the first day always), else the held position."""
    values = target.to_numpy(float)
    held = np.empty_like(values)
    current = np.nan
    for i, (value, may_trade) in enumerate(zip(values, trade_days, strict=True)):
        if np.isnan(current) or (may_trade and abs(value - current) > band):
            current = value
        held[i] = current
    return pd.Series(held, index=target.index)


NUMBERS = (
    "vol_halflife",
    "target_vol",
    "min_position",
    "max_position",
    "smoothing_halflife",
    "no_trade_band",
    "tilt",
    "tilt_full_ic",
    "tilt_min_history",
    "tilt_z_clip",
    "sharpe_tilt",
    "kelly_fraction",
)


def check_allocation_config(cfg: dict) -> None:
    """ConfigError for a setting that is not a number, an unknown variance model or bounds the wrong way round."""
    for key in NUMBERS:
        value = cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ConfigError(f"allocation.{key} must be a number, not {value!r}")
    if cfg["vol_model"] not in VOL_MODELS:
        raise ConfigError(f"unknown allocation.vol_model {cfg['vol_model']!r}; choose one of {sorted(VOL_MODELS)}")
    if cfg["min_position"] > cfg["max_position"]:
        raise ConfigError("allocation.min_position must be <= allocation.max_position")
    if float(cfg.get("no_trade_band", 0.0)) < 0:
        raise ConfigError("allocation.no_trade_band must be >= 0")


def sizing_inputs(frame: pd.DataFrame, prices: pd.DataFrame, horizon_days: int) -> SizingInputs:
    """SizingInputs of the rows of `frame` (date, prediction, variance; dates among the prices')."""
    position = pd.Index(prices["date"]).get_indexer(frame["date"])
    outcomes = forward_excess_log_return(prices["adj_close"], daily_risk_free(prices, 0.0), horizon_days)
    known_rows = np.searchsorted(position + horizon_days, position, side="right")
    return SizingInputs(frame["prediction"], frame["variance"], pd.Series(outcomes.to_numpy()[position],
                        index=frame.index), known_rows, horizon_days)  # fmt: skip


def get_allocations(predictions: pd.DataFrame, prices: pd.DataFrame, cfg: dict, plan: SizingPlan) -> pd.DataFrame:
    """Positions for each prediction date.

    `predictions`: columns date, prediction (forecast of the plan's h-day excess log return). `prices`:
    PricesSchema. `cfg`: the allocation section. Output columns: date, prediction, vol_estimate (annualised
    decimal), allocation_raw, allocation_clipped, allocation (final: smoothed and rebalanced),
    allocation_vol_target (benchmark: target_vol / sigma with the same bounds, smoothing and rebalancing, no
    model). Dates without a variance forecast yet are dropped.
    """
    check_allocation_config(cfg)
    first_prediction = pd.Timestamp(predictions["date"].min())
    returns = simple_returns(prices["adj_close"])
    variance = VOL_MODELS[cfg["vol_model"]](returns, cfg, first_prediction, prices["date"])
    market = pd.DataFrame({"date": prices["date"], "variance": variance})
    frame = predictions[["date", "prediction"]].merge(market, on="date", how="inner").dropna()
    frame = frame[frame["variance"] > 0].sort_values("date").reset_index(drop=True)
    bounds = (cfg["min_position"], cfg["max_position"])
    vol_target = vol_target_only(frame["variance"], cfg)
    if plan.method is None:
        raw = vol_target
    else:
        raw = SIZING_METHODS[plan.method](sizing_inputs(frame, prices, plan.horizon_days), cfg)
    clipped = raw.clip(*bounds)
    trade_days = rebalance_days(frame["date"], plan.rebalance)
    band, halflife = float(cfg.get("no_trade_band", 0.0)), cfg["smoothing_halflife"]

    def final(position: pd.Series) -> pd.Series:
        return hold_between_rebalances(smooth(position, halflife), trade_days, band)

    return pd.DataFrame(
        {
            "date": frame["date"],
            "prediction": frame["prediction"],
            "vol_estimate": np.sqrt(frame["variance"] * TRADING_DAYS_PER_YEAR),
            "allocation_raw": raw,
            "allocation_clipped": clipped,
            "allocation": final(clipped),
            "allocation_vol_target": final(vol_target.clip(*bounds)),
        }
    )


def allocation_for_day(
    history: pd.DataFrame, day: pd.Timestamp, prediction: float, prices: pd.DataFrame, cfg: dict, plan: SizingPlan
) -> pd.Series:
    """The position for one new day: `get_allocations` over the predictions before `day` (date, prediction:
    the pipeline's walk-forward record) plus the day's own, so the variance model, sizing, clipping, smoothing
    and rebalancing see exactly the pipeline's history. The returned row has get_allocations' columns."""
    day = pd.Timestamp(day)
    before = history.loc[history["date"] < day, ["date", "prediction"]]
    today = pd.DataFrame({"date": [day], "prediction": [float(prediction)]})
    allocations = get_allocations(pd.concat([before, today], ignore_index=True), prices, cfg, plan)
    if allocations.empty or allocations["date"].iloc[-1] != day:
        raise DataError(f"no allocation for {day.date()}: the prices have no variance forecast for that day")
    return allocations.iloc[-1]
