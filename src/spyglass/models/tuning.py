"""Optuna search over a config-described space; the objective is the mean inner walk-forward validation MSE."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

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

    storage: an Optuna storage URL (sqlite file, or an RDB such as postgresql://...) or None for in-memory.
    Studies are re-created on every run, so a re-run with the same seed repeats the same trials.
    """

    n_trials: int
    inner_folds: int
    gap: int
    embargo: int
    storage: str | None = None
    prune: bool = True


def _fresh_study(name: str, storage: str | None, seed: int, prune: bool) -> optuna.Study:
    if storage and storage.startswith("sqlite:///"):  # a local file: make sure its folder exists
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if storage:
        with contextlib.suppress(KeyError):
            optuna.delete_study(study_name=name, storage=storage)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1) if prune else optuna.pruners.NopPruner()
    return optuna.create_study(
        study_name=name, storage=storage, direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=pruner,
    )  # fmt: skip


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

    Objective: the mean MSE over inner walk-forward folds. After each fold the running mean is reported, and a
    trial worse than the median of earlier trials at the same fold is pruned.
    """
    study = _fresh_study(study_name, spec.storage, seed, spec.prune)

    def objective(trial: optuna.Trial) -> float:
        params = {**base_params, **suggest(trial, space)}
        errors = []
        for step, error in enumerate(
            walk_forward_errors(lambda: build(params), x, y, spec.inner_folds, spec.gap, spec.embargo)
        ):
            errors.append(error)
            trial.report(float(np.mean(errors)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(errors))

    study.optimize(objective, n_trials=spec.n_trials)
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
