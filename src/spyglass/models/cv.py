"""Walk-forward (expanding window) splits with an embargo: no fold trains on rows at or after its test block.

Rows are trading days in date order. Row t's target is realised at t+1, so a training row must end at least
`embargo` (>= the target horizon) rows before the first test row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fold:
    """Row positions: train on [0, train_stop), test on [test_start, test_stop)."""

    index: int
    train_stop: int
    test_start: int
    test_stop: int

    @property
    def train(self) -> np.ndarray:
        return np.arange(self.train_stop)

    @property
    def test(self) -> np.ndarray:
        return np.arange(self.test_start, self.test_stop)


def walk_forward_splits(n_rows: int, n_folds: int, min_train: int, embargo: int) -> list[Fold]:
    """`n_folds` contiguous test blocks covering rows [min_train + embargo, n_rows), each trained on all
    rows that end `embargo` rows before it. Raises ValueError when the rows cannot hold that many folds."""
    if n_folds < 1 or min_train < 1 or embargo < 1:
        raise ValueError("n_folds, min_train and embargo must be >= 1 (embargo >= the 1-day target horizon)")
    first_test = min_train + embargo
    if n_rows - first_test < n_folds:
        raise ValueError(
            f"{n_rows} rows cannot hold {n_folds} test folds after min_train={min_train} + embargo={embargo}"
        )
    edges = np.linspace(first_test, n_rows, n_folds + 1).round().astype(int)
    return [
        Fold(index=i, train_stop=int(start - embargo), test_start=int(start), test_stop=int(stop))
        for i, (start, stop) in enumerate(itertools.pairwise(edges))
    ]


def folds_table(folds: list[Fold], dates: pd.Series) -> pd.DataFrame:
    """Fold boundaries as inclusive dates (FoldsSchema)."""
    d = pd.to_datetime(dates).reset_index(drop=True)
    return pd.DataFrame(
        {
            "fold": [f.index for f in folds],
            "train_start": [d.iloc[0] for _ in folds],
            "train_end": [d.iloc[f.train_stop - 1] for f in folds],
            "test_start": [d.iloc[f.test_start] for f in folds],
            "test_end": [d.iloc[f.test_stop - 1] for f in folds],
            "n_train": [f.train_stop for f in folds],
            "n_test": [f.test_stop - f.test_start for f in folds],
        }
    )
