from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from spyglass.models.cv import folds_table, walk_forward_splits


def test_folds_tile_the_tail_and_respect_gap_and_embargo():
    folds = walk_forward_splits(1000, n_folds=4, min_train=300, embargo=4, gap=1)
    assert folds[0].test_start == 305
    assert folds[-1].test_stop == 1000
    for previous, fold in itertools.pairwise(folds):
        assert fold.test_start == previous.test_stop
    for fold in folds:
        assert fold.train.max() == fold.test_start - 6
        assert fold.train.max() + 5 < fold.test.min()
        assert fold.train_stop == fold.test_start - 5


def test_training_windows_expand():
    folds = walk_forward_splits(500, 3, 100, 2)
    assert [f.train_stop for f in folds] == sorted({f.train_stop for f in folds})


def test_impossible_splits_are_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        walk_forward_splits(100, 5, 98, 1)
    with pytest.raises(ValueError, match="gap >= 1"):
        walk_forward_splits(100, 2, 10, 5, gap=0)
    with pytest.raises(ValueError, match="needs max_train"):
        walk_forward_splits(100, 2, 10, 5, window="rolling")


def test_rolling_windows_keep_their_length():
    folds = walk_forward_splits(1000, 4, 300, 4, gap=1, window="rolling", max_train=250)
    assert [f.train_stop - f.train_start for f in folds] == [250] * 4
    assert all(f.train_stop + 5 == f.test_start for f in folds)
    assert folds[-1].train_start > folds[0].train_start


def test_folds_table_reports_inclusive_dates():
    dates = pd.Series(pd.bdate_range("2020-01-01", periods=50))
    table = folds_table(walk_forward_splits(50, 2, 20, 2, gap=1), dates)
    assert table["train_end"].iloc[0] == dates.iloc[19]
    assert table["test_start"].iloc[0] == dates.iloc[23]
    assert table["test_end"].iloc[-1] == dates.iloc[49]
    assert (table["n_test"].sum(), table["n_train"].iloc[0]) == (27, 20)
    assert np.all(table["train_end"] < table["test_start"])


@pytest.mark.parametrize("horizon", [1, 5, 21, 63])
def test_the_purge_and_embargo_follow_the_targets_horizon(horizon):
    from spyglass.models.cv import purge_for_horizon
    from spyglass.models.training import outer_folds

    cv = {"n_folds": 4, "min_train": 300, "gap": 1, "embargo": 5, "window": "expanding", "max_train": None}
    gap, embargo = purge_for_horizon(1, 5, horizon)
    assert (gap, embargo) == (max(1, horizon), max(5, horizon))
    for fold in outer_folds(2000, cv, horizon):
        # the last training row's h-day label ends at train_stop - 1 + h: before the test block, by the embargo too
        assert fold.test_start - fold.train_stop == gap + embargo
        assert fold.train_stop - 1 + horizon < fold.test_start - embargo + 1
