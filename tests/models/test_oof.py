from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from spyglass.models.cv import walk_forward_splits
from spyglass.models.evaluation import signal_metrics
from spyglass.models.meta import make_meta_learner, walk_forward_meta
from spyglass.models.oof import BaseModelSpec, fit_base_model
from spyglass.models.tuning import TuningSpec

SEEN: list[tuple[int, int]] = []


class RowSpy(BaseEstimator, RegressorMixin):
    """Column 0 holds the row number: records the last training row and predicts it back."""

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, x, y):
        self.last_train_row_ = int(x[:, 0].max())
        return self

    def predict(self, x):
        SEEN.append((self.last_train_row_, int(x[:, 0].min())))
        return np.full(len(x), float(self.last_train_row_))


def make_spy(random_state: int = 0, **_):
    return RowSpy(random_state)


def test_oof_predictions_come_only_from_models_trained_before_the_embargo():
    n = 300
    x = np.column_stack([np.arange(n), np.random.default_rng(0).normal(size=n)])
    y = np.random.default_rng(1).normal(size=n)
    folds = walk_forward_splits(n, 3, 100, 5)
    SEEN.clear()
    result = fit_base_model(BaseModelSpec("spy", f"{__name__}.make_spy", {}, impute_median=False), x, y, folds, seed=0)
    assert np.isnan(result.oof[: folds[0].test_start]).all()
    for fold in folds:
        assert np.all(result.oof[fold.test] == fold.test_start - 7)  # gap 1 + embargo 5 rows left out
    for last_train, first_test in SEEN[:-1]:
        assert last_train + 6 < first_test


def test_unknown_targets_are_never_trained_on_but_are_predicted():
    n = 200
    x = np.column_stack([np.arange(n), np.zeros(n)])
    y = np.r_[np.random.default_rng(2).normal(size=n - 1), np.nan]
    result = fit_base_model(
        BaseModelSpec("spy", f"{__name__}.make_spy", {}, impute_median=False), x, y, walk_forward_splits(n, 2, 80, 3), 0
    )
    assert np.isfinite(result.oof[-1])
    assert result.final_model.last_train_row_ == n - 2


def test_tuned_model_records_trials_per_fold_and_final():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = x @ np.array([0.5, -0.2, 0.0]) + rng.normal(scale=0.5, size=400)
    spec = BaseModelSpec(
        "elasticnet",
        "spyglass.models.base.elasticnet",
        {"alpha": 0.1, "l1_ratio": 0.5},
        {"alpha": {"type": "float", "low": 1e-4, "high": 1.0, "log": True}},
    )
    result = fit_base_model(spec, x, y, walk_forward_splits(400, 2, 150, 5), 0, TuningSpec(3, 2, 1, 5))
    assert sorted(result.trials["fold"].unique()) == ["0", "1", "final"]
    assert len(result.trials) == 9
    assert 1e-4 <= result.final_params["alpha"] <= 1.0
    assert signal_metrics(result.oof, y)["ic"] > 0.5


def test_meta_learner_weights_the_informative_model_and_is_walk_forward():
    rng = np.random.default_rng(4)
    target = rng.normal(size=500)
    base = np.column_stack([target + rng.normal(scale=0.3, size=500), rng.normal(size=500)])
    prediction, fold_id, folds = walk_forward_meta(base, target, lambda: make_meta_learner(True, True), 3, 100, 1, 5)
    assert np.isnan(prediction[: folds[0].test_start]).all() and (fold_id[: folds[0].test_start] == -1).all()
    assert signal_metrics(prediction, target)["ic"] > 0.9
    weights = make_meta_learner(True, True).fit(base, target).coef_
    assert weights[0] > 0.5 and weights[1] == pytest.approx(0.0, abs=0.05)
    assert (make_meta_learner(True, True).fit(base, -target).coef_ >= 0).all()


def test_signal_metrics_ic_and_rank_ic_by_hand():
    # x - mean = [-2, -1, 0, 1, 2]; y - mean = [-0.02, 0, -0.01, 0.02, 0.01]: sum of products 0.08,
    # sum of squares 10 and 0.001, so IC = 0.08 / sqrt(0.01) = 0.8; ranks of y [1, 3, 2, 5, 4]: 1 - 6*4/120 = 0.8
    m = signal_metrics(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.01, 0.03, 0.02, 0.05, 0.04]))
    assert m["ic"] == pytest.approx(0.8, abs=1e-12) and m["rank_ic"] == pytest.approx(0.8, abs=1e-12)
    anti = signal_metrics(np.array([3.0, 2.0, 1.0, np.nan]), np.array([0.01, 0.02, 0.03, 0.04]))
    assert anti["ic"] == pytest.approx(-1.0) and anti["n"] == 3  # rows with a missing prediction are dropped


def test_signal_metrics_by_hand():
    m = signal_metrics(np.array([1.0, 2.0, 3.0, -1.0]), np.array([2.0, 4.0, 6.0, 1.0]))
    assert m["rmse"] == pytest.approx(np.sqrt((1 + 4 + 9 + 4) / 4))
    assert m["hit_rate"] == pytest.approx(0.75)
    assert m["rank_ic"] == pytest.approx(1.0)
    assert m["n"] == 4


def test_rolling_ic_by_hand_and_only_on_known_targets():
    from spyglass.models.evaluation import rolling_ic

    dates = pd.Series(pd.bdate_range("2020-01-01", periods=6))
    target = np.array([1.0, 2.0, 3.0, 5.0, 4.0, np.nan])
    ic = rolling_ic(dates, target, {"good": np.array([1.0, 2.0, 3.0, 5.0, 4.0, 9.0]), "bad": -target}, window=3)
    assert list(ic.columns) == ["date", "good", "bad"] and len(ic) == 5
    assert np.isnan(ic["good"].iloc[1]) and ic["good"].iloc[2] == pytest.approx(1.0)
    assert ic["bad"].iloc[4] == pytest.approx(-1.0)
    # each IC is dated on the day its window's last outcome became known: the next row's date for a 1-day target
    assert ic["date"].tolist() == [f"{d:%Y-%m-%d}" for d in dates[1:6]]
    two_day = rolling_ic(dates, target, {"good": target}, window=3, horizon_days=2)
    assert two_day["date"].tolist() == [f"{d:%Y-%m-%d}" for d in dates[2:6]]  # the 5th row's outcome: after the data


def test_signal_metrics_of_an_h_day_target_use_non_overlapping_rows_and_newey_west():
    import statsmodels.api as sm

    from spyglass.models.evaluation import newey_west_t

    rng = np.random.default_rng(0)
    prediction = rng.normal(size=500)
    target = 0.3 * prediction + rng.normal(size=500)
    every_fifth = signal_metrics(prediction, target, horizon_days=5)
    assert every_fifth["n"] == 100
    assert every_fifth["ic"] == pytest.approx(np.corrcoef(prediction[::5], target[::5])[0, 1])
    assert every_fifth["rmse"] == pytest.approx(np.sqrt(np.mean((prediction - target) ** 2)))  # over every row
    fit = sm.OLS(target[::5], sm.add_constant(prediction[::5])).fit(cov_type="HAC", cov_kwds={"maxlags": 4})
    assert newey_west_t(prediction[::5], target[::5], 4) == pytest.approx(fit.tvalues[1], rel=1e-6)
    assert every_fifth["ic_t"] == pytest.approx(newey_west_t(prediction[::5], target[::5]), abs=1e-6)
