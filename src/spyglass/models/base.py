"""Base learners by name: config names a factory (`factory: spyglass.models.base.xgboost_regressor`) and its
params; `build_estimator` imports and calls it. Each factory returns an unfitted sklearn-style regressor."""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.base import RegressorMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

N_JOBS = 2  # the target machine has two cores


def elasticnet(alpha: float, l1_ratio: float, random_state: int = 0, **kwargs: Any) -> Pipeline:
    """Median imputation and standardisation (both fitted inside each training fold), then ElasticNet.

    A feature never observed in the training window is kept as a constant 0 (so the column count is stable).
    """
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=random_state, max_iter=10_000, **kwargs)
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    return make_pipeline(imputer, StandardScaler(), model)


def xgboost_regressor(random_state: int = 0, **params: Any) -> RegressorMixin:
    """XGBoost gradient-boosted trees (hist), deterministic for a seed."""
    from xgboost import XGBRegressor

    return XGBRegressor(tree_method="hist", n_jobs=N_JOBS, random_state=random_state, **params)


def lightgbm_regressor(random_state: int = 0, **params: Any) -> RegressorMixin:
    """LightGBM gradient-boosted trees, deterministic for a seed."""
    from lightgbm import LGBMRegressor

    return LGBMRegressor(
        n_jobs=N_JOBS, random_state=random_state, deterministic=True, force_row_wise=True, verbose=-1, **params
    )


def build_estimator(factory: str, params: dict[str, Any], seed: int) -> RegressorMixin:
    """Import `factory` ("package.module.function") and call it with `params` and the seed."""
    module_name, _, attribute = factory.rpartition(".")
    try:
        make = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"model factory {factory!r} cannot be imported: {exc}") from exc
    return make(random_state=seed, **params)
