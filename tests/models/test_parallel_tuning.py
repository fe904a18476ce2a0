"""Tuning in worker processes that share one Optuna study: through a journal file (always) and through a real
PostgreSQL server (`.ci/run` starts one and sets SPYGLASS_POSTGRES_URL; CI sets SPYGLASS_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import os

import numpy as np
import optuna
import pytest

from spyglass.features.tables import FeatureTables
from spyglass.models.base import EstimatorBuilder
from spyglass.models.training import base_model_predictions
from spyglass.models.tuning import TuningSpec, discard_file_storage, optuna_storage, trial_quotas, tune

SPACE = {"alpha": {"type": "float", "low": 1e-4, "high": 10.0, "log": True},
         "l1_ratio": {"type": "float", "low": 0.0, "high": 1.0}}  # fmt: skip


def noisy_signal(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 3))
    return x, x[:, 0] * 0.3 + rng.normal(size=n)


def assert_each_trial_once(trials, n_trials: int) -> None:
    assert sorted(trials["number"]) == list(range(n_trials))
    assert set(trials["state"]) <= {"COMPLETE", "PRUNED"}


def test_trials_are_split_exactly_among_workers():
    assert trial_quotas(8, 2) == [4, 4]
    assert trial_quotas(7, 2) == [4, 3]
    assert trial_quotas(2, 4) == [1, 1]
    assert sum(trial_quotas(25, 3)) == 25


def test_parallel_tuning_needs_a_shared_storage_and_a_worker():
    with pytest.raises(ValueError, match="in-memory study"):
        TuningSpec(4, 2, 1, 3, storage=None, n_workers=2)
    with pytest.raises(ValueError, match="at least 1"):
        TuningSpec(4, 2, 1, 3, storage=None, n_workers=0)


def test_two_workers_share_one_study_through_a_journal_file(tmp_path):
    x, y = noisy_signal()
    journal = tmp_path / "studies" / "optuna.journal"
    spec = TuningSpec(n_trials=7, inner_folds=2, gap=1, embargo=3, storage=str(journal), n_workers=2)
    builder = EstimatorBuilder("spyglass.models.base.elasticnet", 0)
    best, trials = tune(builder, {"alpha": 1.0, "l1_ratio": 0.5}, SPACE, x, y, spec, seed=4, study_name="en")
    assert_each_trial_once(trials, 7)
    winner = trials.loc[trials["value"].idxmin()]
    assert best == {"alpha": winner["params_alpha"], "l1_ratio": winner["params_l1_ratio"]}
    # A second run re-creates the study: the journal holds one study of 7 trials, not two.
    tune(builder, {"alpha": 1.0, "l1_ratio": 0.5}, SPACE, x, y, spec, seed=4, study_name="en")
    studies = optuna.get_all_study_summaries(optuna_storage(str(journal)))
    assert [(s.study_name, s.n_trials) for s in studies] == [("en", 7)]
    discard_file_storage(str(journal))  # what train_base does first: the log of deleted studies goes too
    assert not journal.exists()
    discard_file_storage("postgresql://nobody@127.0.0.1:1/none")  # a database is never touched (nor reached)


def test_a_database_that_cannot_be_opened_is_one_clear_error_without_its_password():
    x, y = noisy_signal()
    spec = TuningSpec(2, 2, 1, 3, storage="postgresql://trader:s3cret@127.0.0.1:1/studies")  # nothing listens
    builder = EstimatorBuilder("spyglass.models.base.elasticnet", 0)
    with pytest.raises(ValueError, match=r"tuning.storage postgresql://trader:\*\*\*@127.0.0.1:1/studies cannot") as e:
        tune(builder, {"alpha": 1.0, "l1_ratio": 0.5}, SPACE, x, y, spec, seed=1)
    assert "s3cret" not in str(e.value)
    with pytest.raises(ValueError, match="cannot be opened"):
        optuna_storage("nosuchdialect://somewhere/db")


def postgres_url() -> str:
    url = os.environ.get("SPYGLASS_POSTGRES_URL")
    if not url:
        message = "SPYGLASS_POSTGRES_URL is unset (.ci/postgres starts a server)"
        if os.environ.get("SPYGLASS_REQUIRE_POSTGRES"):
            pytest.fail(message + "; SPYGLASS_REQUIRE_POSTGRES=1 requires it")
        pytest.skip(message)
    return url


def test_two_workers_tune_on_postgresql_and_the_best_params_reach_the_manifest(small_run, small_cfg):
    url = postgres_url()
    n_trials = 5
    tuning = {"models": ["elasticnet"], "n_trials": n_trials, "prune": True, "n_workers": 2, "storage": url}
    cfg = {**small_cfg, "model": {"elasticnet": small_cfg["model"]["elasticnet"]}, "tuning": tuning}
    tables = FeatureTables(small_run.ta, small_run.options, vol_index=small_run.vol_index)
    training = base_model_predictions(tables, cfg)

    prefix = f"{cfg['data']['name']}/elasticnet-"  # the ticker's own studies in a database others share
    studies = {s.study_name for s in optuna.get_all_study_summaries(url) if s.study_name.startswith(prefix)}
    folds = [*sorted(str(f) for f in training.folds["fold"]), "final"]
    assert sorted(studies) == sorted(f"{prefix}{fold}" for fold in folds)
    for name in studies:
        recorded = optuna.load_study(study_name=name, storage=url).trials_dataframe(attrs=("number", "state"))
        assert_each_trial_once(recorded.assign(state=recorded["state"].astype(str)), n_trials)
        stage_rows = training.trials[training.trials["fold"] == name.removeprefix(prefix)]
        assert sorted(stage_rows["number"]) == list(range(n_trials))  # the stage's table is the database's
    final = optuna.load_study(study_name=f"{prefix}final", storage=url)
    assert training.manifest["models"]["elasticnet"]["params"].items() >= final.best_params.items()
