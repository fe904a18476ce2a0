"""Plausibility of fetched data, beyond what a schema can say: checks that need the run date, a configurable
limit or a second table. fetch runs them before it writes anything; each failure names the rows and values.

- bars: enough rows for the indicators and training; no date after the run date; no gap between consecutive
  bars longer than `max_gap_days` calendar days (a 2099 date after 2018 is an 80-year gap, not one day); no
  close more than `max_daily_move` times (or less than 1/max_daily_move of) the previous one (a x100 tick).
- snapshots: each option snapshot is dated on a day with a bar (a trading day), so none is after the last bar,
  and its underlying price lies within that day's range (low..high, widened by `spot_tolerance`): a price read
  wrongly (3.0 for 3,990.56, a tenfold tick) would put every strike, exposure and wall in the wrong place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from spyglass.schemas import MAX_ROWS_LISTED, DataValidationError


@dataclass(frozen=True)
class BarChecks:
    """Limits from config `checks` (conf/config.yaml)."""

    min_rows: int = 252
    max_gap_days: int = 10
    max_daily_move: float = 3.0
    spot_tolerance: float = 0.02

    @classmethod
    def from_config(cls, cfg: dict) -> BarChecks:
        return cls(int(cfg["min_rows"]), int(cfg["max_gap_days"]), float(cfg["max_daily_move"]),
                   float(cfg.get("spot_tolerance", 0.02)))  # fmt: skip


def bar_problems(prices: pd.DataFrame, checks: BarChecks, run_date: dt.date) -> list[str]:
    """What is implausible about schema-valid bars (empty when nothing is)."""
    dates = pd.DatetimeIndex(prices["date"])
    problems = []
    if len(prices) < checks.min_rows:
        problems.append(f"only {len(prices)} bars; at least {checks.min_rows} are needed (checks.min_rows)")
    future = np.flatnonzero(dates.date > run_date)
    if future.size:
        problems.append(f"{future.size} bar(s) dated after the run date {run_date}: {_listed(future, dates)}")
    gap_days = np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(int)
    gaps = np.flatnonzero(gap_days > checks.max_gap_days) + 1
    if gaps.size:
        shown = [
            f"{dates[i - 1].date()} -> {dates[i].date()} ({gap_days[i - 1]:,} days)" for i in gaps[:MAX_ROWS_LISTED]
        ]
        problems.append(f"{gaps.size} gap(s) longer than {checks.max_gap_days} days (checks.max_gap_days): "
                        + ", ".join(shown))  # fmt: skip
    close = prices["adj_close"].to_numpy(dtype=float)
    ratio = close[1:] / close[:-1]
    moves = np.flatnonzero((ratio > checks.max_daily_move) | (ratio < 1 / checks.max_daily_move)) + 1
    if moves.size:
        shown = [f"row {i} ({dates[i].date()}) {close[i - 1]:g} -> {close[i]:g}" for i in moves[:MAX_ROWS_LISTED]]
        problems.append(f"{moves.size} close(s) moved more than x{checks.max_daily_move:g} in a day "
                        f"(checks.max_daily_move): " + ", ".join(shown))  # fmt: skip
    return problems


def check_bars(prices: pd.DataFrame, checks: BarChecks, run_date: dt.date, source: str) -> None:
    """DataValidationError listing every implausibility of the bars."""
    problems = bar_problems(prices, checks, run_date)
    if problems:
        raise DataValidationError(f"{source}: implausible bars\n  " + "\n  ".join(problems))


def check_snapshot_dates(chains: pl.DataFrame, bar_dates: pd.Series, source: str) -> None:
    """DataValidationError unless every snapshot date of the chains (OptionChainSchema) is a bar date (a trading
    day, not after the last bar)."""
    days = pd.DatetimeIndex(pd.to_datetime(chains["snapshot_date"].unique().sort().to_list()))
    off = days[~days.isin(pd.DatetimeIndex(bar_dates))]
    if len(off):
        last = pd.Timestamp(bar_dates.max()).date()
        shown = ", ".join(f"{d.date()} ({d.day_name()}{', after the last bar' if d.date() > last else ''})"
                          for d in off[:MAX_ROWS_LISTED])  # fmt: skip
        more = f" and {len(off) - MAX_ROWS_LISTED} more" if len(off) > MAX_ROWS_LISTED else ""
        raise DataValidationError(
            f"{source}: {len(off)} option snapshot date(s) without a bar (snapshots must be dated on trading "
            f"days up to the last bar, {last}): {shown}{more}"
        )


def check_snapshot_spots(chains: pl.DataFrame, prices: pd.DataFrame, tolerance: float, source: str) -> None:
    """DataValidationError unless every snapshot's underlying price lies within its day's bar range, low..high
    widened by `tolerance` (a share: 0.02 = 2 % below the low to 2 % above the high). Days without a bar are
    check_snapshot_dates' concern."""
    spot = pl.col("underlying_price")
    spots = chains.group_by("snapshot_date").agg(spot.min().alias("lowest"), spot.max().alias("highest")).to_pandas()
    bars = prices.assign(day=pd.to_datetime(prices["date"])).set_index("day")
    spots = spots.assign(snapshot_date=pd.to_datetime(spots["snapshot_date"]))
    spots = spots[spots["snapshot_date"].isin(bars.index)].sort_values("snapshot_date")
    low = bars.loc[spots["snapshot_date"], "low"].to_numpy() * (1 - tolerance)
    high = bars.loc[spots["snapshot_date"], "high"].to_numpy() * (1 + tolerance)
    off = spots[(spots["lowest"].to_numpy() < low) | (spots["highest"].to_numpy() > high)]
    if len(off):
        shown = ", ".join(
            f"{row.snapshot_date:%Y-%m-%d} spot {row.lowest:,.2f}"
            + (f"..{row.highest:,.2f}" if row.highest != row.lowest else "")
            + f" against the bar's {bars.at[row.snapshot_date, 'low']:,.2f}..{bars.at[row.snapshot_date, 'high']:,.2f}"
            for row in off.head(MAX_ROWS_LISTED).itertuples()
        )
        raise DataValidationError(
            f"{source}: {len(off)} option snapshot(s) whose underlying price lies outside the day's bar range "
            f"(widened by checks.spot_tolerance {tolerance:g}): {shown}; the chain's underlying was read wrongly "
            "or belongs to another instrument, so nothing was filed"
        )


def _listed(rows: np.ndarray, dates: pd.DatetimeIndex) -> str:
    shown = ", ".join(f"row {i} ({dates[i].date()})" for i in rows[:MAX_ROWS_LISTED])
    return shown + (f" and {rows.size - MAX_ROWS_LISTED} more" if rows.size > MAX_ROWS_LISTED else "")
