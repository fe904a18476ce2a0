"""The signal journal: what the daily run decided, recorded before the outcome was known (a forward test).

One row per as-of date (JournalSchema). The rules:
- A day is recorded once. A later run for the same as-of date never rewrites the first record: it counts itself
  in `reruns` and stamps `last_rerun` (whatever it computed is not kept — the first signal is the one traded).
- Later runs fill each earlier row's `realised_return` (the asset's return from its as-of close to the next
  bar's close) and `pnl` (the position's return that day: allocation x asset + (1 - allocation) x cash), once.
- The file is written atomically, only after the journal on disk was read and validated: a damaged journal is
  reported in one line and left exactly as it is.

Pure functions on frames, plus `read_journal` / `write_journal` as the I/O shell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spyglass.backtest.metrics import ReturnSeries, compute_metrics
from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import DataError
from spyglass.io import write_parquet
from spyglass.schemas import DataValidationError, JournalSchema, empty_frame, validate

FIXED_COLUMNS = [name for name in JournalSchema.to_schema().columns if not name.startswith("^")]
FORWARD_METRICS = ["cagr", "ann_vol", "sharpe", "max_drawdown", "hit_rate"]


class JournalDamagedError(DataError):
    """The journal file cannot be read as a journal; it is never overwritten."""


def empty_journal() -> pd.DataFrame:
    """A journal with no rows and the schema's dtypes (no model columns yet: the first record brings them)."""
    return empty_frame(JournalSchema)[FIXED_COLUMNS]


def record_day(journal: pd.DataFrame, row: dict, run_time: pd.Timestamp) -> tuple[pd.DataFrame, str]:
    """The journal with `row` recorded ("recorded"), or, when its as-of date is already there, with that first
    record kept and the rerun counted ("rerun")."""
    as_of = pd.Timestamp(row["as_of"])
    existing = journal["as_of"] == as_of
    if existing.any():
        journal = journal.copy()
        journal.loc[existing, "reruns"] += 1
        journal.loc[existing, "last_rerun"] = pd.to_datetime(run_time, utc=True)
        return journal, "rerun"
    new = pd.DataFrame([{**row, "reruns": 0, "realised_return": np.nan, "pnl": np.nan}])
    for column in ("as_of", "train_start", "train_end"):
        new[column] = pd.to_datetime(new[column])
    new["run_time"] = pd.to_datetime([run_time], utc=True)
    new["last_rerun"] = pd.to_datetime([pd.NaT], utc=True)
    combined = pd.concat([journal, new], ignore_index=True) if len(journal) else new
    return combined.sort_values("as_of", kind="stable").reset_index(drop=True), "recorded"


def fill_realised(journal: pd.DataFrame, prices: pd.DataFrame, rf_daily: float) -> pd.DataFrame:
    """Fill `realised_return` and `pnl` of rows still without them whose next bar is in `prices` (PricesSchema):
    the asset's return from the as-of close to the next close, and allocation x that + (1 - allocation) x
    `rf_daily` (the cash rate per day). Rows already filled keep their values."""
    close = prices.set_index("date")["adj_close"]
    position = close.index.searchsorted(journal["as_of"])
    on_a_bar = close.index[np.minimum(position, len(close) - 1)] == pd.DatetimeIndex(journal["as_of"])
    known = on_a_bar & (position < len(close) - 1)
    realised = pd.Series(np.nan, index=journal.index)
    realised[known] = close.to_numpy()[position[known] + 1] / close.to_numpy()[position[known]] - 1.0
    pending = journal["realised_return"].isna() & realised.notna()
    journal = journal.copy()
    journal.loc[pending, "realised_return"] = realised[pending]
    allocation = journal.loc[pending, "allocation"]
    journal.loc[pending, "pnl"] = allocation * realised[pending] + (1.0 - allocation) * rf_daily
    return journal


def forward_record(journal: pd.DataFrame, rf_daily: float) -> dict:
    """Days recorded and realised, and the backtest's metrics (spyglass.backtest.metrics) of the journal's
    positions and of buy-and-hold over the realised days (None until two days are realised)."""
    done = journal.dropna(subset=["pnl"])
    record: dict = {"days_recorded": len(journal), "days_realised": len(done), "reruns": int(journal["reruns"].sum())}
    if len(done) < 2:
        return record | {"journal": None, "buy_and_hold": None}
    market = done["realised_return"].to_numpy()
    series = ReturnSeries(done["pnl"].to_numpy(), done["allocation"].to_numpy(), rf_daily, TRADING_DAYS_PER_YEAR,
                          market)  # fmt: skip
    hold = ReturnSeries(market, np.ones(len(done)), rf_daily, TRADING_DAYS_PER_YEAR, market)
    return record | {"journal": compute_metrics(series, FORWARD_METRICS),
                     "buy_and_hold": compute_metrics(hold, FORWARD_METRICS)}  # fmt: skip


def read_journal(path: str | Path) -> pd.DataFrame:
    """The journal at `path` (empty when there is none yet); JournalDamagedError when it cannot be read."""
    path = Path(path)
    if not path.exists():
        return empty_journal()
    try:
        return validate(pd.read_parquet(path), JournalSchema, path)
    except (OSError, ValueError, DataValidationError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise JournalDamagedError(
            f"the signal journal {path} is damaged ({type(exc).__name__}: {reason}); it is left as it is — "
            "move it aside to start a new one"
        ) from None


def check_no_future_rows(journal: pd.DataFrame, day, path: str | Path) -> None:
    """JournalDamagedError when the journal holds a row dated after `day` (the run's trading day): a record
    of a day that has not happened is a damaged journal, and recording beside it would bury the damage."""
    later = journal.loc[pd.to_datetime(journal["as_of"]).dt.date > day, "as_of"]
    if len(later):
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in later.iloc[:5])
        raise JournalDamagedError(
            f"the signal journal {path} has {len(later)} row(s) dated after this run's day {day}: {shown}; it is "
            "left as it is — remove those rows (or move the journal aside) to record again"
        )


def write_journal(journal: pd.DataFrame, path: str | Path) -> Path:
    """Validate and write the journal atomically (read it with `read_journal` first: that refuses a damaged one)."""
    return write_parquet(validate(journal, JournalSchema, "signal journal"), path)
