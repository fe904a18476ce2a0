"""Out-of-fold predictions for base learners (the stack on top of them is spyglass.models.meta).

Every prediction in an OOF table comes from a model fitted only on rows ending gap + embargo rows before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spyglass.models.base import EstimatorBuilder
from spyglass.models.cv import Fold
from spyglass.models.tuning import TuningSpec, tune


@dataclass(frozen=True)
class BaseModelSpec:
    """One base learner from config: factory path, fixed params, and an optional Optuna space."""

    name: str
    factory: str
    params: dict[str, Any]
    search_space: dict[str, Any] = field(default_factory=dict)
    impute_median: bool = True  # fill gaps with the training window's median (see build_estimator)
    n_jobs: int = 1  # threads for learners that take them (results do not depend on it)
    features: tuple[str, ...] = ()  # named features: the learner sees only these (of those present); () = all

    def positions(self, columns: list[str]) -> tuple[int, ...] | None:
        """Where the learner's named features sit among `columns` (None: it takes every column; () : none of its
        features is present, so it sits out)."""
        if not self.features:
            return None
        return tuple(i for i, column in enumerate(columns) if column in self.features)


@dataclass
class FitResult:
    """Out-of-fold predictions (aligned to rows; NaN outside test blocks), the trials tables, and a final model
    fitted on every row with a known target (None when not refitted)."""

    oof: np.ndarray
    trials: pd.DataFrame
    final_model: Any
    final_params: dict[str, Any]


def _fit_with_params(
    spec: BaseModelSpec,
    tuning: TuningSpec | None,
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    fold_label: str,
    positions: tuple[int, ...] | None = None,
) -> tuple[Any, dict[str, Any], pd.DataFrame]:
    """Fit on (x, y), tuning first (on these rows only) when a search is configured."""
    build = EstimatorBuilder(spec.factory, seed, spec.impute_median, spec.n_jobs, positions)
    params, trials = dict(spec.params), pd.DataFrame()
    if tuning is not None and tuning.n_trials > 0 and spec.search_space:
        study = tuning.study_name(spec.name, fold_label)
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
    positions: tuple[int, ...] | None = None,
) -> FitResult:
    """Walk-forward OOF predictions for one base learner, then (unless `refit` is off) the final refit on all
    known rows. With `positions` the learner sees only those columns of `x`."""
    oof = np.full(len(y), np.nan)
    trials = []
    for fold in folds:
        train = fold.train[np.isfinite(y[fold.train])]
        model, _, fold_trials = _fit_with_params(spec, tuning, x[train], y[train], seed, str(fold.index), positions)
        oof[fold.test] = model.predict(x[fold.test])
        trials.append(fold_trials)
    known = np.isfinite(y)
    final, final_params = None, dict(spec.params)
    if refit:
        final, final_params, final_trials = _fit_with_params(spec, tuning, x[known], y[known], seed, "final",
                                                             positions)  # fmt: skip
        trials.append(final_trials)
    return FitResult(
        oof=oof,
        trials=pd.concat(trials, ignore_index=True),
        final_model=final,
        final_params=final_params,
    )
