"""Features from implied-volatility indices (the VIX family): decades of options information for every past day.

Row t uses index closes of day t and bars up to close t. (CBOE's indices close at 4:15 pm New York, a quarter of
an hour after the stocks they are compared with: the common convention, and a small timing liberty.)
Indices are aligned to the bars' dates and carried forward at most `forward_fill_limit` days where one did not
print. Columns, each computed only when the indices it needs are present (all scale-free):
  vix_level            vix_30d / 100: 30-day implied vol, annualised decimal
  vix_ratio_9d_30d     vix_9d / vix_30d: short-dated stress (above 1 in sell-offs)
  vix_ratio_30d_91d    vix_30d / vix_91d, vix_ratio_30d_182d: term structure (above 1 = backwardation)
  vrp_30d              (vix_30d / 100)^2 minus the realised variance of the last `realised_window` days
                       (mean squared log return x 252): the variance risk premium, annual variance units
  vol_of_vol           vvix / vix_30d
  skew_index           (skew - 100) / 10: minus the 30-day risk-neutral skewness of log returns
  vix_change_<n>d      ln(vix_30d_t / vix_30d_(t-n))
  vix_z_<w>d           (vix_30d - its mean over the last w days) / their standard deviation (half of them present)
An index covering less than `min_coverage` of the bar dates from the first date any index has a value is left
out with a warning (so one short history does not cut years off the training window). Rows before every kept
feature has started (warm-up) are dropped, never filled; later gaps stay missing (imputed causally in training).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.features.targets import log_returns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VolIndexSpec:
    """conf/features/default.yaml, features.vol_index."""

    min_coverage: float = 0.8
    forward_fill_limit: int = 3
    realised_window: int = 21
    change_windows: tuple[int, ...] = (1, 5)
    zscore_window: int = 252

    @classmethod
    def from_config(cls, cfg: dict) -> VolIndexSpec:
        return cls(
            float(cfg["min_coverage"]),
            int(cfg["forward_fill_limit"]),
            int(cfg["realised_window"]),
            tuple(int(n) for n in cfg["change_windows"]),
            int(cfg["zscore_window"]),
        )


def aligned_indices(indices: pd.DataFrame, dates: pd.Series, spec: VolIndexSpec) -> tuple[pd.DataFrame, dict]:
    """Index closes on the bars' dates (carried forward at most spec.forward_fill_limit days), without the
    indices that cover too little; and a report {column: coverage or why it was left out}."""
    by_date = indices.set_index("date").sort_index()
    on_bars = by_date.reindex(pd.DatetimeIndex(dates)).ffill(limit=spec.forward_fill_limit)
    present = on_bars.notna()
    if not present.any().any():
        return on_bars.iloc[:, :0], {c: "left out: no value on any bar date" for c in on_bars}
    span = present.any(axis=1).to_numpy().argmax()  # the first bar date on which some index has a value
    coverage = present.iloc[span:].mean()
    report, kept = {}, []
    for column, share in coverage.items():
        if share >= spec.min_coverage:
            kept.append(column)
            report[column] = round(float(share), 4)
        else:
            first = on_bars[column].first_valid_index()
            since = "never" if first is None else f"from {first:%Y-%m-%d}"
            report[column] = (
                f"left out: covers {share:.0%} of the bar dates ({since}); min_coverage {spec.min_coverage}"
            )
            log.warning("volatility index %s %s", column, report[column])
    return on_bars[kept], report


def vol_index_features(indices: pd.DataFrame, prices: pd.DataFrame, spec: VolIndexSpec) -> tuple[pd.DataFrame, dict]:
    """The feature table (date + columns above, warm-up dropped) and a report of the indices used.

    `indices`: date + index columns in index points (VolIndicesSchema); `prices`: PricesSchema.
    """
    empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]")})
    if indices.shape[1] <= 1 or indices.empty:
        return empty, {}
    level, report = aligned_indices(indices, prices["date"], spec)
    out: dict[str, pd.Series] = {}
    vix = level.get("vix_30d")
    for short, long, name in (("vix_9d", "vix_30d", "vix_ratio_9d_30d"), ("vix_30d", "vix_91d", "vix_ratio_30d_91d"),
                              ("vix_30d", "vix_182d", "vix_ratio_30d_182d")):  # fmt: skip
        if short in level and long in level:
            out[name] = level[short] / level[long]
    if vix is not None:
        out["vix_level"] = vix / 100.0
        squared = log_returns(prices["adj_close"].set_axis(level.index)) ** 2
        realised = squared.rolling(spec.realised_window).mean() * TRADING_DAYS_PER_YEAR
        out["vrp_30d"] = (vix / 100.0) ** 2 - realised
        for n in spec.change_windows:
            out[f"vix_change_{n}d"] = np.log(vix / vix.shift(n))
        # at least half the window present: a few missing prints must not blank the z-score for a year
        rolling = vix.rolling(spec.zscore_window, min_periods=spec.zscore_window // 2)
        out[f"vix_z_{spec.zscore_window}d"] = (vix - rolling.mean()) / rolling.std()
        if "vvix" in level:
            out["vol_of_vol"] = level["vvix"] / vix
    if "skew" in level:
        out["skew_index"] = (level["skew"] - 100.0) / 10.0
    if not out:
        return empty, report
    table = pd.DataFrame(out).replace([np.inf, -np.inf], np.nan)
    never = [c for c in table if table[c].isna().all()]
    if never:
        log.warning("volatility index features %s have no value on any day: left out", never)
        table = table.drop(columns=never)
    if table.empty or table.shape[1] == 0:
        return empty, report
    first = max(table[c].first_valid_index() for c in table)  # warm-up: until every feature has started
    return table.loc[first:].rename_axis("date").reset_index(), report
