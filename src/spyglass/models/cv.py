"""Walk-forward splits: no fold trains on rows at or after its test block, nor on rows whose label overlaps it.

Rows are trading days in date order. Row t's target over h days is realised at t+h, so training must stop
`gap` rows (>= h) before the test block: that purges labels that overlap the test period. `embargo` rows more
are dropped as a margin against serial correlation (overlapping h-day labels are correlated over h rows, so it is
at least h too: `purge_for_horizon`). Training windows either expand from the first row or roll with a fixed
length.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spyglass.errors import ConfigError


def purge_for_horizon(gap: int, embargo: int, horizon_days: int) -> tuple[int, int]:
    """(gap, embargo) for a target realised over `horizon_days` rows: each at least the horizon, so no training
    label overlaps the test block and the embargo spans the labels' serial correlation (cv.gap and cv.embargo are
    floors)."""
    return max(int(gap), int(horizon_days)), max(int(embargo), int(horizon_days))


@dataclass(frozen=True)
class Fold:
    """Row positions: train on [train_start, train_stop), test on [test_start, test_stop)."""

    index: int
    train_start: int
    train_stop: int
    test_start: int
    test_stop: int

    @property
    def train(self) -> np.ndarray:
        return np.arange(self.train_start, self.train_stop)

    @property
    def test(self) -> np.ndarray:
        return np.arange(self.test_start, self.test_stop)


def walk_forward_splits(
    n_rows: int,
    n_folds: int,
    min_train: int,
    embargo: int,
    gap: int = 1,
    window: str = "expanding",
    max_train: int | None = None,
) -> list[Fold]:
    """`n_folds` contiguous test blocks covering rows [min_train + gap + embargo, n_rows).

    Each trains on rows ending `gap + embargo` rows before its block: all earlier rows (`window="expanding"`)
    or the last `max_train` of them (`window="rolling"`). Raises ValueError when the rows cannot hold the folds.
    """
    if n_folds < 1 or min_train < 1 or gap < 1 or embargo < 0:
        raise ConfigError("need n_folds >= 1, min_train >= 1, gap >= 1 (the 1-day target horizon), embargo >= 0")
    if window not in ("expanding", "rolling"):
        raise ConfigError(f"window must be 'expanding' or 'rolling', not {window!r}")
    if window == "rolling" and not max_train:
        raise ConfigError("a rolling window needs max_train (its length in rows)")
    separation = gap + embargo
    first_test = min_train + separation
    if n_rows - first_test < n_folds:
        raise ConfigError(
            f"{n_rows} rows cannot hold {n_folds} test folds after "
            f"min_train={min_train} + gap={gap} + embargo={embargo}"
        )
    edges = np.linspace(first_test, n_rows, n_folds + 1).round().astype(int)
    folds = []
    for i, (start, stop) in enumerate(itertools.pairwise(edges)):
        train_stop = int(start - separation)
        train_start = max(0, train_stop - max_train) if window == "rolling" else 0
        folds.append(Fold(i, train_start, train_stop, int(start), int(stop)))
    return folds


def folds_table(folds: list[Fold], dates: pd.Series) -> pd.DataFrame:
    """Fold boundaries as inclusive dates (FoldsSchema)."""
    d = pd.to_datetime(dates).reset_index(drop=True)
    return pd.DataFrame(
        {
            "fold": [f.index for f in folds],
            "train_start": [d.iloc[f.train_start] for f in folds],
            "train_end": [d.iloc[f.train_stop - 1] for f in folds],
            "test_start": [d.iloc[f.test_start] for f in folds],
            "test_end": [d.iloc[f.test_stop - 1] for f in folds],
            "n_train": [f.train_stop - f.train_start for f in folds],
            "n_test": [f.test_stop - f.test_start for f in folds],
        }
    )
