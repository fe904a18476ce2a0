"""Why a prediction is what it is: exact per-feature contributions of each base model, combined through the stack.

Each base model's prediction splits exactly into a base value plus one term per feature:
  XGBoost    `pred_contribs=True` (TreeSHAP on the booster),
  LightGBM   `pred_contrib=True` (the same, LightGBM's own),
  ElasticNet, ridge: coefficient x standardised value (the intercept is the base value),
computed on the values the model sees (after the pipeline's median imputation and scaling); a learner with named
features (ridge) contributes nothing through the others. The stack is linear,
prediction = intercept + sum_m w_m pred_m, so a feature's contribution to it is sum_m w_m c_m(feature), and the
terms still add up to the stack's prediction exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from spyglass.features.names import readable
from spyglass.models.registry import feature_matrix, load_models


def native_contributions(model: Any, x: np.ndarray) -> np.ndarray:
    """(rows, features + 1): each feature's additive contribution to `model.predict(x)`, the base value last."""
    if isinstance(model, Pipeline) and isinstance(model.steps[0][1], ColumnTransformer):  # named features only
        positions = model.steps[0][1].transformers_[0][2]
        inner = native_contributions(model[1:], model[0].transform(x))
        full = np.zeros((len(x), x.shape[1] + 1))
        full[:, positions], full[:, -1] = inner[:, :-1], inner[:, -1]
        return full
    if isinstance(model, Pipeline):
        return native_contributions(model.steps[-1][1], model[:-1].transform(x) if len(model.steps) > 1 else x)
    if hasattr(model, "get_booster"):  # XGBoost
        from xgboost import DMatrix

        return model.get_booster().predict(DMatrix(x), pred_contribs=True)
    if hasattr(model, "booster_"):  # LightGBM
        return np.asarray(model.predict(x, pred_contrib=True))
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):  # a fitted linear model
        terms = x * np.asarray(model.coef_)[None, :]
        return np.column_stack([terms, np.full(len(x), float(np.ravel(model.intercept_)[0]))])
    raise TypeError(f"no exact contributions for a {type(model).__name__} model")


def stacked_contributions(per_model: dict[str, np.ndarray], weights: dict[str, float], intercept: float) -> np.ndarray:
    """The stack's contributions: each model's (features + 1 columns) weighted by its stack weight; the
    intercept joins the base value (last column)."""
    total = sum(weights[name] * contributions for name, contributions in per_model.items())
    total = np.array(total, dtype=float)
    total[:, -1] += intercept
    return total


@dataclass(frozen=True)
class Explanation:
    """One day's predictions taken apart: per-feature contributions of each base model and of the stack."""

    date: pd.Timestamp
    values: pd.Series  # the feature values scored (before imputation), by feature name
    contributions: pd.DataFrame  # index: feature; columns: each base model and "stack"
    base_values: dict[str, float]  # each model's and the stack's base value (prediction with no feature terms)
    predictions: dict[str, float]  # each base model's prediction and the stack's ("stack")
    weights: dict[str, float]  # stack weight of each base model
    intercept: float

    def top(self, n: int) -> pd.DataFrame:
        """The n features with the largest stack contribution in absolute value (features that contribute
        nothing are left out): feature, label, value and each column of `contributions`, largest first."""
        size = self.contributions["stack"].abs()
        order = size[size > 0].sort_values(ascending=False).index[:n]
        table = self.contributions.loc[order].copy()
        table.insert(0, "value", self.values.loc[order].to_numpy())
        table.insert(0, "label", [readable(name) for name in order])
        return table.rename_axis("feature").reset_index()


def explain(manifest: dict, models: dict[str, Any], stack: dict, row: pd.DataFrame) -> Explanation:
    """Explain the scores of one feature row (date + the manifest's features) by the base models and the stack
    (`stack`: the saved {"model", "inputs"})."""
    x = feature_matrix(manifest, row)
    per_model = {name: native_contributions(model, x) for name, model in models.items()}
    names = [column.removeprefix("pred_") for column in stack["inputs"]]
    weights = dict(zip(names, (float(w) for w in stack["model"].coef_), strict=True))
    intercept = float(stack["model"].intercept_)
    per_model = {name: per_model[name] for name in names}
    per_model["stack"] = stacked_contributions(per_model, weights, intercept)
    features = list(manifest["features"])
    return Explanation(
        date=pd.Timestamp(row["date"].iloc[-1]),
        values=pd.Series(x[-1], index=features),
        contributions=pd.DataFrame({name: c[-1, :-1] for name, c in per_model.items()}, index=features),
        base_values={name: float(c[-1, -1]) for name, c in per_model.items()},
        predictions={name: float(c[-1].sum()) for name, c in per_model.items()},
        weights=weights,
        intercept=intercept,
    )


def explain_saved(base_dir: str | Path, meta_path: str | Path, row: pd.DataFrame) -> Explanation:
    """`explain` with the models saved by train_base and train_meta."""
    manifest, models = load_models(base_dir)
    return explain(manifest, models, joblib.load(meta_path), row)
