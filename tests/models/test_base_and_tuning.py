from __future__ import annotations

import numpy as np
import optuna
import pytest

from spyglass.models.base import build_estimator
from spyglass.models.tuning import TuningSpec, suggest, tune

SPEC = TuningSpec(n_trials=6, inner_folds=2, gap=1, embargo=3)


@pytest.mark.parametrize(
    ("factory", "params"),
    [
        ("spyglass.models.base.elasticnet", {"alpha": 0.01, "l1_ratio": 0.5}),
        ("spyglass.models.base.xgboost_regressor", {"n_estimators": 20, "max_depth": 2}),
        ("spyglass.models.base.lightgbm_regressor", {"n_estimators": 20, "num_leaves": 4}),
    ],
)
def test_each_factory_learns_a_signal_and_is_deterministic(factory, params):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    x[rng.random(x.shape) < 0.02] = np.nan if "elasticnet" in factory else 0.0
    y = np.nan_to_num(x[:, 0]) + rng.normal(scale=0.3, size=600)
    a = build_estimator(factory, params, seed=1).fit(x[:400], y[:400]).predict(x[400:])
    b = build_estimator(factory, params, seed=1).fit(x[:400], y[:400]).predict(x[400:])
    np.testing.assert_array_equal(a, b)
    assert np.corrcoef(a, y[400:])[0, 1] > 0.6


def test_unimportable_factory_is_explained():
    with pytest.raises(ValueError, match="cannot be imported"):
        build_estimator("spyglass.models.base.nope", {}, 0)


def test_suggest_covers_every_type_and_rejects_unknown():
    trial = optuna.trial.FixedTrial({"a": 0.5, "b": 3, "c": "x"})
    space = {
        "a": {"type": "float", "low": 0.0, "high": 1.0},
        "b": {"type": "int", "low": 1, "high": 5},
        "c": {"type": "categorical", "choices": ["x", "y"]},
    }
    assert suggest(trial, space) == {"a": 0.5, "b": 3, "c": "x"}
    with pytest.raises(ValueError, match="unknown type"):
        suggest(trial, {"d": {"type": "complex"}})


def test_tune_is_seeded_and_prefers_less_regularisation_for_a_clear_signal():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 2))
    y = x[:, 0] + rng.normal(scale=0.1, size=300)
    space = {"alpha": {"type": "float", "low": 1e-4, "high": 10.0, "log": True}}

    def build(params):
        return build_estimator("spyglass.models.base.elasticnet", params, 0)

    best1, trials1 = tune(build, {"alpha": 1.0, "l1_ratio": 0.5}, space, x, y, SPEC, seed=7)
    best2, trials2 = tune(build, {"alpha": 1.0, "l1_ratio": 0.5}, space, x, y, SPEC, seed=7)
    assert best1 == best2 and trials1["value"].tolist() == trials2["value"].tolist()
    assert best1["alpha"] == trials1.loc[trials1["value"].idxmin(), "params_alpha"]
    assert best1["alpha"] < 1.0 and best1["l1_ratio"] == 0.5


def test_median_imputation_uses_only_the_rows_the_model_is_fitted_on():
    x_train = np.array([[1.0], [2.0], [3.0], [np.nan]])
    model = build_estimator("spyglass.models.base.xgboost_regressor", {"n_estimators": 1}, seed=0)
    model.fit(x_train, np.arange(4.0))
    assert model[0].statistics_.tolist() == [2.0]  # the median of the training rows, whatever comes later
    raw = build_estimator("spyglass.models.base.xgboost_regressor", {"n_estimators": 1}, seed=0, impute_median=False)
    assert not hasattr(raw, "steps")


def test_pruning_stops_bad_trials_and_history_tracks_the_best_so_far():
    from spyglass.models.tuning import optimisation_history

    rng = np.random.default_rng(6)
    x = rng.normal(size=(400, 2))
    y = x[:, 0] + rng.normal(scale=0.1, size=400)
    space = {"alpha": {"type": "float", "low": 1e-4, "high": 100.0, "log": True}}
    spec = TuningSpec(n_trials=20, inner_folds=3, gap=1, embargo=3, prune=True)

    def build(params):
        return build_estimator("spyglass.models.base.elasticnet", params, 0)

    _, trials = tune(build, {"alpha": 1.0, "l1_ratio": 0.5}, space, x, y, spec, seed=1)
    assert (trials["state"] == "PRUNED").any()
    history = optimisation_history(trials.assign(model="elasticnet", fold="final"))
    assert list(history.columns) == ["trial", "elasticnet"]
    assert history["elasticnet"].is_monotonic_decreasing
    assert history["elasticnet"].iloc[-1] == trials["value"].min()


def test_a_study_in_a_file_storage_is_recreated_on_every_run(tmp_path):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=200)
    space = {"alpha": {"type": "float", "low": 1e-3, "high": 1.0, "log": True}}
    spec = TuningSpec(n_trials=3, inner_folds=2, gap=1, embargo=1, storage=f"sqlite:///{tmp_path}/sub/optuna.db")

    def build(params):
        return build_estimator("spyglass.models.base.elasticnet", params, 0)

    first = tune(build, {"alpha": 1.0, "l1_ratio": 0.5}, space, x, y, spec, seed=3, study_name="en-final")[1]
    second = tune(build, {"alpha": 1.0, "l1_ratio": 0.5}, space, x, y, spec, seed=3, study_name="en-final")[1]
    assert len(second) == 3 and second["value"].tolist() == first["value"].tolist()
    assert (tmp_path / "sub" / "optuna.db").exists()


@pytest.mark.parametrize(("key", "override"), [("tuning.n_workers", {"tuning": {"n_workers": 0}}),
                                               ("n_jobs", {"n_jobs": 0}), ("n_jobs", {"n_jobs": -2})])  # fmt: skip
def test_a_worker_count_of_zero_or_less_is_refused_not_read_as_every_core(small_cfg, key, override):
    from spyglass.models.training import base_model_specs, tuning_spec

    cfg = {**small_cfg, **{k: ({**small_cfg[k], **v} if isinstance(v, dict) else v) for k, v in override.items()}}
    with pytest.raises(ValueError, match=rf"^{key} must be a whole number >= 1, or null for one per core; got"):
        base_model_specs(cfg, tuning_spec(cfg).n_workers) if key == "n_jobs" else tuning_spec(cfg)
