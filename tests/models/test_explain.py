"""Exact contributions: each base model's terms add up to its prediction, ElasticNet's are coefficient x
standardised value, and the stack's add up to the stack's prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeRegressor

from spyglass.features.names import readable
from spyglass.models.base import build_estimator
from spyglass.models.explain import explain, native_contributions

FACTORIES = {
    "elasticnet": ("spyglass.models.base.elasticnet", {"alpha": 0.001, "l1_ratio": 0.5}),
    "xgboost": ("spyglass.models.base.xgboost_regressor", {"n_estimators": 30, "max_depth": 3}),
    "lightgbm": ("spyglass.models.base.lightgbm_regressor", {"n_estimators": 30, "num_leaves": 7}),
    "ridge": ("spyglass.models.base.ridge", {"alpha": 1.0}),
}
NAMED = {"ridge": (0, 1)}  # a learner with named features sees only these columns
FEATURES = ["sma_ratio_50d", "rsi", "gex_usd_per_pct", "my_column"]


@pytest.fixture(scope="module")
def fitted() -> tuple[dict, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, len(FEATURES))) * [0.05, 15.0, 2e9, 1.0] + [1.0, 50.0, 0.0, 0.0]
    y = 0.002 * (x[:, 0] - 1) / 0.05 - 0.001 * np.tanh((x[:, 1] - 50) / 15) + rng.normal(0, 0.001, len(x))
    x[rng.random(x.shape) < 0.05] = np.nan  # the pipelines impute with the training median
    models = {name: build_estimator(factory, params, seed=0, columns=NAMED.get(name)).fit(x, y)
              for name, (factory, params) in FACTORIES.items()}  # fmt: skip
    return models, x, y


@pytest.mark.parametrize("name", list(FACTORIES))
def test_each_models_terms_add_up_to_its_prediction(fitted, name):
    models, x, _ = fitted
    terms = native_contributions(models[name], x[:50])
    assert terms.shape == (50, len(FEATURES) + 1)
    np.testing.assert_allclose(terms.sum(axis=1), models[name].predict(x[:50]), rtol=1e-5, atol=1e-9)
    assert np.abs(terms[:, :-1]).sum() > 0  # the features do contribute


def test_a_learner_with_named_features_contributes_through_them_only(fitted):
    models, x, _ = fitted
    terms = native_contributions(models["ridge"], x[:20])
    assert (terms[:, 2:-1] == 0).all() and (terms[:, :2] != 0).all()
    outer = models["ridge"]  # select the named columns, impute; then standardise and fit the ridge
    inner = outer.steps[-1][1]
    standardised = inner[:-1].transform(outer[:-1].transform(x[:20]))
    np.testing.assert_allclose(terms[:, :2], standardised * inner.steps[-1][1].coef_)


def test_elasticnet_terms_are_coefficient_times_standardised_value(fitted):
    models, x, _ = fitted
    imputer, pipeline = models["elasticnet"].steps[0][1], models["elasticnet"].steps[1][1]
    scaler, net = pipeline.steps[0][1], pipeline.steps[1][1]
    standardised = (imputer.transform(x[:5]) - scaler.mean_) / scaler.scale_
    np.testing.assert_allclose(native_contributions(models["elasticnet"], x[:5])[:, :-1], standardised * net.coef_)


def test_the_stacks_terms_add_up_to_the_stacks_prediction(fitted):
    models, x, y = fitted
    inputs = [f"pred_{name}" for name in FACTORIES]
    base = np.column_stack([models[name].predict(x) for name in FACTORIES])
    meta = LinearRegression(positive=True).fit(base, y)
    row = pd.DataFrame(x[-1:], columns=FEATURES).assign(date=pd.Timestamp("2024-05-01"))
    manifest = {"features": FEATURES, "train_start": "", "train_end": ""}
    explained = explain(manifest, models, {"model": meta, "inputs": inputs}, row)
    assert explained.predictions["stack"] == pytest.approx(float(meta.predict(base[-1:])[0]), rel=1e-5)
    assert explained.contributions["stack"].sum() + explained.base_values["stack"] == pytest.approx(
        explained.predictions["stack"], rel=1e-9
    )
    weighted = sum(meta.coef_[i] * explained.contributions[name] for i, name in enumerate(FACTORIES))
    np.testing.assert_allclose(explained.contributions["stack"], weighted)
    for name in FACTORIES:
        assert explained.predictions[name] == pytest.approx(float(models[name].predict(x[-1:])[0]), rel=1e-5)
    top = explained.top(2)
    assert len(top) == 2 and abs(top["stack"].iloc[0]) >= abs(top["stack"].iloc[1])
    assert (explained.top(len(FEATURES))["stack"] != 0).all()  # nothing that contributes nothing
    assert top["label"].tolist() == [readable(f) for f in top["feature"]]
    assert set(top["feature"]) <= {"sma_ratio_50d", "rsi"}  # the two features the target is made of


def test_a_model_without_exact_contributions_is_refused(fitted):
    _, x, y = fitted
    with pytest.raises(TypeError, match="DecisionTreeRegressor"):
        native_contributions(DecisionTreeRegressor().fit(np.nan_to_num(x), y), x)


def test_readable_names_for_known_patterns_and_a_fallback():
    assert readable("sma_ratio_200d") == "close / 200-day SMA"
    assert readable("pcr_oi_31_90d") == "put/call ratio, open interest, 31–90 days"
    assert readable("vix_ratio_9d_30d") == "implied vol 9-day / 30-day"
    assert readable("my_column") == "my column"
