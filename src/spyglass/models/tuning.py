"""Optuna search over a config-described space; the objective is the mean walk-forward validation MSE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pandas as pd

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
            raise ValueError(f"search space entry {name!r}: unknown type {kind!r}")
    return params


def walk_forward_mse(
    make_model: Callable[[], Any], x: np.ndarray, y: np.ndarray, n_folds: int, gap: int, embargo: int
) -> float:
    """Mean squared error averaged over an inner expanding walk-forward split of (x, y) (all targets known)."""
    min_train = max(len(y) // (n_folds + 1), 1)
    errors = []
    for fold in walk_forward_splits(len(y), n_folds, min_train, embargo, gap):
        model = make_model().fit(x[fold.train], y[fold.train])
        errors.append(float(np.mean((model.predict(x[fold.test]) - y[fold.test]) ** 2)))
    return float(np.mean(errors))


def tune(
    build: Callable[[dict[str, Any]], Any],
    base_params: dict[str, Any],
    space: dict[str, dict[str, Any]],
    x: np.ndarray,
    y: np.ndarray,
    n_trials: int,
    inner_folds: int,
    gap: int,
    embargo: int,
    seed: int,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best params (base_params updated by the search) and the trials table, on these rows only."""
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)

    def objective(trial: optuna.Trial) -> float:
        params = {**base_params, **suggest(trial, space)}
        return walk_forward_mse(lambda: build(params), x, y, inner_folds, gap, embargo)

    study.optimize(objective, n_trials=n_trials)
    trials = study.trials_dataframe(attrs=("number", "value", "params"))
    return {**base_params, **study.best_params}, trials
