"""Base learners by name: config names a factory (`factory: spyglass.models.base.xgboost_regressor`) and its
params; `build_estimator` imports and calls it. Each factory returns an unfitted sklearn-style regressor."""

from __future__ import annotations

import importlib
import inspect
import os
import re
from dataclasses import dataclass
from typing import Any

from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from spyglass.errors import ConfigError


def worker_count(configured: int | None, key: str = "n_jobs") -> int:
    """Threads (or processes) for a model: the configured count, or the machine's cores when it is null. 0 or a
    negative count is a ConfigError naming `key` (0 is not "all cores"). Predictions do not depend on it
    (XGBoost's hist and LightGBM's deterministic mode reduce in a fixed order; tested)."""
    if configured is None:
        return os.cpu_count() or 1
    whole = isinstance(configured, int | float) and not isinstance(configured, bool) and configured == int(configured)
    if not whole or configured < 1:
        raise ConfigError(f"{key} must be a whole number >= 1, or null for one per core; got {configured!r}")
    return int(configured)


def elasticnet(alpha: float, l1_ratio: float, random_state: int = 0, **kwargs: Any) -> Pipeline:
    """Standardisation (fitted inside each training fold), then ElasticNet. Needs complete inputs: keep
    features.imputation.median_in_fold on. Coordinate descent runs on the precomputed Gram matrix (thousands
    of rows, tens of features): the same iterations and solution (to 1e-12) as on the rows, 20x faster for the
    small penalties that need thousands of iterations."""
    kwargs = {"precompute": True, **kwargs}
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=random_state, max_iter=10_000, **kwargs)
    return make_pipeline(StandardScaler(), model)


def ridge(alpha: float, random_state: int = 0, **kwargs: Any) -> Pipeline:
    """Standardisation (fitted inside each training fold), then ridge regression: the parsimonious learner, meant
    for a few named features (conf/model/ridge.yaml) whose effect is roughly linear. `random_state` is unused (the
    solution is exact)."""
    del random_state
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha, **kwargs))


def xgboost_regressor(random_state: int = 0, n_jobs: int = 1, **params: Any) -> RegressorMixin:
    """XGBoost gradient-boosted trees (hist), deterministic for a seed whatever the thread count."""
    from xgboost import XGBRegressor

    return XGBRegressor(tree_method="hist", n_jobs=n_jobs, random_state=random_state, **params)


def lightgbm_regressor(random_state: int = 0, n_jobs: int = 1, **params: Any) -> RegressorMixin:
    """LightGBM gradient-boosted trees, deterministic for a seed whatever the thread count."""
    from lightgbm import LGBMRegressor

    return LGBMRegressor(
        n_jobs=n_jobs, random_state=random_state, deterministic=True, force_row_wise=True, verbose=-1, **params
    )


def portable(model: RegressorMixin) -> RegressorMixin:
    """The fitted model with the thread count it records set to 1, in place: XGBoost and LightGBM write the
    count they trained with into the saved booster, so without this a model's bytes (and DVC hash) would depend
    on the training machine's cores, while its predictions do not. Predictions are unchanged."""
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if "n_jobs" in estimator.get_params():
        estimator.set_params(n_jobs=1)
    if hasattr(estimator, "get_booster"):  # XGBoost
        estimator.get_booster().set_param({"nthread": 1})
    if hasattr(estimator, "booster_"):  # LightGBM: the count sits in the model text; rebuild from it
        from lightgbm import Booster

        text = re.sub(r"\[num_threads: \d+\]", "[num_threads: 1]", estimator.booster_.model_to_string())
        estimator._Booster = Booster(model_str=text)  # the sklearn wrapper keeps its booster here
    return model


def build_estimator(
    factory: str,
    params: dict[str, Any],
    seed: int,
    impute_median: bool = True,
    n_jobs: int = 1,
    columns: tuple[int, ...] | None = None,
) -> RegressorMixin:
    """Import `factory` ("package.module.function") and call it with `params`, the seed and, where the factory
    takes it, the thread count `n_jobs`.

    With `impute_median`, missing values are filled with each feature's median over the rows the model is fitted
    on (the training window; never later rows); a feature never observed there becomes a constant 0. With
    `columns`, the model sees only those positions of the feature matrix (a learner with named features), so
    every learner of a stack takes the same matrix.
    """
    module_name, _, attribute = factory.rpartition(".")
    try:
        make = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"model factory {factory!r} cannot be imported: {exc}") from exc
    threads = {"n_jobs": n_jobs} if "n_jobs" in inspect.signature(make).parameters else {}
    model = make(random_state=seed, **threads, **params)
    steps = [ColumnTransformer([("named", "passthrough", list(columns))])] if columns is not None else []
    if impute_median:
        steps.append(SimpleImputer(strategy="median", keep_empty_features=True))
    return make_pipeline(*steps, model) if steps else model


@dataclass(frozen=True)
class EstimatorBuilder:
    """`build_estimator` for one learner, waiting for its params: a picklable callable (tuning's worker processes
    receive it)."""

    factory: str
    seed: int
    impute_median: bool = True
    n_jobs: int = 1
    columns: tuple[int, ...] | None = None  # positions of the learner's named features in the matrix

    def __call__(self, params: dict[str, Any]) -> RegressorMixin:
        return build_estimator(self.factory, params, self.seed, self.impute_median, self.n_jobs, self.columns)
