"""Optuna search over a config-described space; the objective is the mean inner walk-forward validation MSE."""

from __future__ import annotations

import atexit
import contextlib
import functools
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from spyglass.config import is_file_storage
from spyglass.errors import ConfigError
from spyglass.models.cv import walk_forward_splits

optuna.logging.set_verbosity(optuna.logging.WARNING)


def suggest(trial: optuna.Trial, space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Draw one value per parameter. Each entry: {type: float|int|categorical, low, high, log} or {choices}."""
    params: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec["type"]
        if kind == "float":
            params[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
        elif kind == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
        elif kind == "categorical":
            params[name] = trial.suggest_categorical(name, spec["choices"])
        else:
            raise ConfigError(f"search space entry {name!r}: unknown type {kind!r}")
    return params


def walk_forward_errors(
    make_model: Callable[[], Any], x: np.ndarray, y: np.ndarray, n_folds: int, gap: int, embargo: int
) -> Iterator[float]:
    """Mean squared error of each fold of an inner expanding walk-forward split of (x, y) (targets all known)."""
    min_train = max(len(y) // (n_folds + 1), 1)
    for fold in walk_forward_splits(len(y), n_folds, min_train, embargo, gap):
        model = make_model().fit(x[fold.train], y[fold.train])
        yield float(np.mean((model.predict(x[fold.test]) - y[fold.test]) ** 2))


@dataclass(frozen=True)
class TuningSpec:
    """Nested tuning settings (conf/tuning/); `n_trials == 0` means fixed params.

    storage: where the studies live (`optuna_storage`): None in memory, a file path for Optuna's JournalStorage, or
    an RDB URL (sqlite:///..., postgresql://...). Studies are re-created on every run, so a re-run with the same
    seed and one worker repeats the same trials.
    n_workers: processes running one study's trials at once (a storage other than memory is needed for more than
    one). Parallel TPE is not deterministic: which trial sees which finished ones depends on timing.
    namespace: the ticker's name in a portfolio, so that its studies are its own in a shared storage.
    """

    n_trials: int
    inner_folds: int
    gap: int
    embargo: int
    storage: str | None = None
    prune: bool = True
    n_workers: int = 1
    namespace: str = ""  # prefixes study names: tickers sharing one database never touch each other's studies

    def study_name(self, model: str, fold: str) -> str:
        """The study of one model in one walk-forward window ("final": the live refit), e.g. "GSPC/xgboost-3"."""
        return f"{self.namespace}/{model}-{fold}" if self.namespace else f"{model}-{fold}"

    def __post_init__(self) -> None:
        if self.n_workers < 1:
            raise ConfigError(f"tuning.n_workers must be at least 1, got {self.n_workers}")
        if self.n_workers > 1 and not self.storage:
            raise ConfigError("tuning.n_workers > 1 needs tuning.storage (a journal file or a database URL): worker "
                              "processes cannot share an in-memory study")  # fmt: skip


def optuna_storage(location: str | None) -> optuna.storages.BaseStorage | None:
    """The Optuna storage of a configured location: None (in memory), a database URL (sqlite:///..., and with
    SQLAlchemy 2.1 postgresql:// means psycopg 3; one that cannot be opened is a ConfigError, its password
    hidden), or a file path for a JournalStorage with a file backend (no server, safe for processes on one
    machine and on NFS, per Optuna's docs)."""
    if not location:
        return None
    if not is_file_storage(location):
        if location.startswith("sqlite:///"):  # a local file: make sure its folder exists
            Path(location.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            return optuna.storages.RDBStorage(location)
        except Exception as exc:  # SQLAlchemy's errors: an unknown driver, host, database, user or password
            from sqlalchemy.engine import make_url

            shown = make_url(location).render_as_string(hide_password=True)
            reason = str(exc).strip().splitlines()[0]
            raise ConfigError(f"tuning.storage {shown} cannot be opened: {type(exc).__name__}: {reason}") from None
    Path(location).parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(location))


def discard_file_storage(location: str | None) -> None:
    """Remove a journal file (a path given as storage) before a run: the run re-creates its studies, and a journal
    keeps every deleted study in its log, which only grows (and is replayed whenever it is opened). A database is
    left alone: a team's studies live there."""
    if is_file_storage(location):
        Path(location).unlink(missing_ok=True)


def _pruner(prune: bool) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1) if prune else optuna.pruners.NopPruner()


def _fresh_study(name: str, storage: str | None, seed: int, prune: bool) -> optuna.Study:
    store = optuna_storage(storage)
    if store is not None:
        with contextlib.suppress(KeyError):
            optuna.delete_study(study_name=name, storage=store)
    return optuna.create_study(
        study_name=name, storage=store, direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=_pruner(prune),
    )  # fmt: skip


@dataclass(frozen=True)
class InnerWalkForwardObjective:
    """Optuna objective: the mean MSE over inner walk-forward folds of a model built from `base_params` and the
    trial's draw. After each fold the running mean is reported, so a trial worse than the median of earlier
    trials at the same fold can be pruned. Picklable (`build` too), so worker processes can run it."""

    build: Callable[[dict[str, Any]], Any]
    base_params: dict[str, Any]
    space: dict[str, dict[str, Any]]
    x: np.ndarray
    y: np.ndarray
    spec: TuningSpec

    def __call__(self, trial: optuna.Trial) -> float:
        params = {**self.base_params, **suggest(trial, self.space)}
        errors = []
        folds = walk_forward_errors(lambda: self.build(params), self.x, self.y, self.spec.inner_folds,
                                    self.spec.gap, self.spec.embargo)  # fmt: skip
        for step, error in enumerate(folds):
            errors.append(error)
            trial.report(float(np.mean(errors)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(errors))


def _run_trials(storage: str, study_name: str, seed: int, prune: bool, n_trials: int, objective) -> None:
    """One worker's share of a study's trials (in a worker process), its sampler seeded apart from the others'."""
    study = optuna.load_study(study_name=study_name, storage=optuna_storage(storage),
                              sampler=optuna.samplers.TPESampler(seed=seed), pruner=_pruner(prune))  # fmt: skip
    study.optimize(objective, n_trials=n_trials)


@functools.cache
def _worker_pool(n_workers: int) -> ProcessPoolExecutor:
    """Worker processes kept for the whole run (each imports the learners once), started with `spawn`: a forked
    child of a process that already ran OpenMP (XGBoost, LightGBM) can hang."""
    pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"))
    atexit.register(pool.shutdown)
    return pool


def trial_quotas(n_trials: int, n_workers: int) -> list[int]:
    """Each worker's number of trials: `n_trials` split as evenly as possible (so the study gets exactly
    `n_trials`), workers with none left out."""
    share, extra = divmod(n_trials, n_workers)
    return [q for q in (share + (worker < extra) for worker in range(n_workers)) if q > 0]


def tune(
    build: Callable[[dict[str, Any]], Any],
    base_params: dict[str, Any],
    space: dict[str, dict[str, Any]],
    x: np.ndarray,
    y: np.ndarray,
    spec: TuningSpec,
    seed: int,
    study_name: str = "study",
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best params (base_params updated by the search) and the trials table, from these rows only.

    The objective is `InnerWalkForwardObjective`. With `spec.n_workers` > 1 the trials run in that many worker
    processes sharing the study through `spec.storage` (worker k's sampler seeded `seed + k`).
    """
    study = _fresh_study(study_name, spec.storage, seed, spec.prune)
    objective = InnerWalkForwardObjective(build, base_params, space, x, y, spec)
    if spec.n_workers == 1:
        study.optimize(objective, n_trials=spec.n_trials)
    else:
        pool = _worker_pool(spec.n_workers)
        shares = [pool.submit(_run_trials, spec.storage, study_name, seed + worker, spec.prune, quota, objective)
                  for worker, quota in enumerate(trial_quotas(spec.n_trials, spec.n_workers))]  # fmt: skip
        for share in shares:
            share.result()  # the study reads the workers' trials from the shared storage
    trials = study.trials_dataframe(attrs=("number", "value", "state", "params"))
    return {**base_params, **study.best_params}, trials.assign(state=trials["state"].astype(str))


def optimisation_history(trials: pd.DataFrame, fold: str = "final") -> pd.DataFrame:
    """Best objective so far after each trial of one fold's studies: columns trial and one per model (wide)."""
    if trials.empty or "value" not in trials:
        return pd.DataFrame({"trial": []})
    chosen = trials[(trials["fold"] == fold) & trials["value"].notna()]
    if chosen.empty:
        return pd.DataFrame({"trial": []})
    best = chosen.sort_values("number").assign(best=lambda t: t.groupby("model")["value"].cummin())
    wide = best.pivot(index="number", columns="model", values="best").ffill()
    return wide.rename_axis(columns=None).reset_index().rename(columns={"number": "trial"})
