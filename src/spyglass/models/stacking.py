"""Out-of-fold predictions for base learners and the walk-forward stack on top of them.

Every prediction in an OOF table comes from a model fitted only on rows ending gap + embargo rows before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from spyglass.models.base import build_estimator
from spyglass.models.cv import Fold, walk_forward_splits
from spyglass.models.tuning import TuningSpec, tune


@dataclass(frozen=True)
class BaseModelSpec:
    """One base learner from config: factory path, fixed params, and an optional Optuna space."""

    name: str
    factory: str
    params: dict[str, Any]
    search_space: dict[str, Any] = field(default_factory=dict)
    impute_median: bool = True  # fill gaps with the training window's median (see build_estimator)


@dataclass
class FitResult:
    """Out-of-fold predictions (aligned to rows; NaN outside test blocks), the chosen params per fold,
    the trials tables, and a final model fitted on every row with a known target (None when not refitted)."""

    oof: np.ndarray
    params_per_fold: list[dict[str, Any]]
    trials: pd.DataFrame
    final_model: Any
    final_params: dict[str, Any]


def _fit_with_params(
    spec: BaseModelSpec, tuning: TuningSpec | None, x: np.ndarray, y: np.ndarray, seed: int, fold_label: str
) -> tuple[Any, dict[str, Any], pd.DataFrame]:
    """Fit on (x, y), tuning first (on these rows only) when a search is configured."""

    def build(params: dict[str, Any]) -> Any:
        return build_estimator(spec.factory, params, seed, spec.impute_median)

    params, trials = dict(spec.params), pd.DataFrame()
    if tuning is not None and tuning.n_trials > 0 and spec.search_space:
        study = f"{spec.name}-{fold_label}"
        params, trials = tune(build, spec.params, spec.search_space, x, y, tuning, seed, study)
        trials = trials.assign(model=spec.name, fold=fold_label)
    return build(params).fit(x, y), params, trials


def fit_base_model(
    spec: BaseModelSpec,
    x: np.ndarray,
    y: np.ndarray,
    folds: list[Fold],
    seed: int,
    tuning: TuningSpec | None = None,
    refit: bool = True,
) -> FitResult:
    """Walk-forward OOF predictions for one base learner, then (unless `refit` is off) the final refit on all
    known rows."""
    oof = np.full(len(y), np.nan)
    chosen, trials = [], []
    for fold in folds:
        train = fold.train[np.isfinite(y[fold.train])]
        model, params, fold_trials = _fit_with_params(spec, tuning, x[train], y[train], seed, str(fold.index))
        oof[fold.test] = model.predict(x[fold.test])
        chosen.append(params)
        trials.append(fold_trials)
    known = np.isfinite(y)
    final, final_params = None, dict(spec.params)
    if refit:
        final, final_params, final_trials = _fit_with_params(spec, tuning, x[known], y[known], seed, "final")
        trials.append(final_trials)
    return FitResult(
        oof=oof,
        params_per_fold=chosen,
        trials=pd.concat(trials, ignore_index=True),
        final_model=final,
        final_params=final_params,
    )


def make_meta_learner(positive: bool, fit_intercept: bool) -> LinearRegression:
    """The stacker: a linear blend of base predictions (non-negative weights when `positive`)."""
    return LinearRegression(positive=positive, fit_intercept=fit_intercept)


def walk_forward_meta(
    base_predictions: np.ndarray,
    target: np.ndarray,
    make_meta: Callable[[], LinearRegression],
    n_folds: int,
    min_train: int,
    gap: int,
    embargo: int,
) -> tuple[np.ndarray, np.ndarray, list[Fold]]:
    """Meta-learner OOF predictions over the base OOF rows, walk-forward; returns (predictions, fold ids, folds).

    Rows outside every test block get NaN and fold id -1.
    """
    folds = walk_forward_splits(len(target), n_folds, min_train, embargo, gap)
    prediction = np.full(len(target), np.nan)
    fold_id = np.full(len(target), -1)
    for fold in folds:
        train = fold.train[np.isfinite(target[fold.train])]
        meta = make_meta().fit(base_predictions[train], target[train])
        prediction[fold.test] = meta.predict(base_predictions[fold.test])
        fold_id[fold.test] = fold.index
    return prediction, fold_id, folds
