"""The stack: a linear meta-learner over base learners' out-of-fold predictions, evaluated walk-forward.

Every stack prediction comes from a meta-learner fitted only on base OOF rows ending gap + embargo rows before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from spyglass.models.cv import Fold, purge_for_horizon, walk_forward_splits
from spyglass.models.evaluation import rolling_ic, signal_metrics


def make_meta_learner(positive: bool, fit_intercept: bool) -> LinearRegression:
    """The stacker: a linear blend of base predictions (non-negative weights when `positive`)."""
    return LinearRegression(positive=positive, fit_intercept=fit_intercept)


def identity_stack() -> LinearRegression:
    """The stack of a single learner: its prediction as it is (weight 1, intercept 0). Fitting a blend of one
    would only rescale it fold by fold and cost the first meta window's rows."""
    model = LinearRegression()
    model.coef_, model.intercept_, model.n_features_in_ = np.ones(1), 0.0, 1
    model.rank_, model.singular_ = 1, np.ones(1)
    return model


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


@dataclass
class MetaTraining:
    """train_meta's results: walk-forward stack predictions, the refitted meta-learner, metrics."""

    oof: pd.DataFrame
    model: Any
    inputs: list[str]
    metrics: dict[str, Any]
    rolling_ic: pd.DataFrame  # date, stack and each base model: IC over the last meta.rolling_ic_window rows


def stacked_predictions(
    base_oof: pd.DataFrame, meta_cfg: dict, gap: int, embargo: int, horizon_days: int = 1
) -> MetaTraining:
    """Walk-forward (expanding) LinearRegression stack over the `pred_*` columns of the base OOF table, purged
    for a target over `horizon_days` (cv.gap and cv.embargo are floors)."""
    gap, embargo = purge_for_horizon(gap, embargo, horizon_days)
    columns = [c for c in base_oof.columns if c.startswith("pred_")]
    x, y = base_oof[columns].to_numpy(), base_oof["target"].to_numpy()

    def make_meta():
        return make_meta_learner(bool(meta_cfg["positive"]), bool(meta_cfg["fit_intercept"]))

    known = np.isfinite(y)
    if len(columns) == 1:  # one learner: the stack is the learner (every base OOF row is out of sample already)
        prediction, fold_id, folds = x[:, 0].copy(), base_oof["fold"].to_numpy(), []
        final = identity_stack()
    else:
        prediction, fold_id, folds = walk_forward_meta(
            x, y, make_meta, int(meta_cfg["n_folds"]), int(meta_cfg["min_train"]), gap, embargo
        )
        final = make_meta().fit(x[known], y[known])
    tested = fold_id >= 0
    names = [c.removeprefix("pred_") for c in columns]
    metrics = {
        "stack": signal_metrics(prediction[tested], y[tested], horizon_days),
        "base_same_rows": {
            n: signal_metrics(base_oof[c].to_numpy()[tested], y[tested], horizon_days)
            for n, c in zip(names, columns, strict=True)
        },
        "weights": {n: round(float(w), 6) for n, w in zip(names, final.coef_, strict=True)},
        "intercept": round(float(final.intercept_), 8),
        "folds": len(folds),
        "horizon_days": horizon_days,
    }
    oof = pd.DataFrame({"date": base_oof["date"], "fold": fold_id, "target": y, "prediction": prediction})
    series = {
        "stack": prediction[tested],
        **{n: base_oof[c].to_numpy()[tested] for n, c in zip(names, columns, strict=True)},
    }
    ic = rolling_ic(
        base_oof["date"][tested].reset_index(drop=True),
        y[tested],
        series,
        int(meta_cfg["rolling_ic_window"]),
        horizon_days,
    )
    return MetaTraining(
        oof=oof[tested].reset_index(drop=True), model=final, inputs=columns, metrics=metrics, rolling_ic=ic
    )
