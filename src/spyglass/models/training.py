"""train_base's pure core: the model frame of a config, walk-forward OOF predictions of each base learner with
tuning inside every training window, and the final refits. Frames and config in, frames out.

The train_base and ablation stages add only reading, validation and writing; tests (the no-look-ahead test above
all) call these functions directly, so what they check is exactly what the pipeline runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from spyglass.features.assemble import ModelFrame, TierPolicy, model_frame_from_tables
from spyglass.features.tables import FeatureTables
from spyglass.models.base import worker_count
from spyglass.models.cv import folds_table, walk_forward_splits
from spyglass.models.evaluation import signal_metrics
from spyglass.models.oof import BaseModelSpec, FitResult, fit_base_model
from spyglass.models.registry import model_manifest
from spyglass.models.tuning import TuningSpec


@dataclass
class BaseTraining:
    """train_base's results: OOF table (test rows only), fold boundaries, trials, fitted models, metrics, and
    the model frame they were trained on."""

    oof: pd.DataFrame
    folds: pd.DataFrame
    trials: pd.DataFrame
    models: dict[str, FitResult]
    metrics: dict[str, dict[str, float]]
    manifest: dict[str, Any]
    frame: ModelFrame


def tier_policy(cfg: dict) -> TierPolicy:
    """The chain-feature policy of a composed config (features.options.chain_features, min_history_days)."""
    options = cfg["features"]["options"]
    return TierPolicy(str(options["chain_features"]), int(options["min_history_days"]))


def model_frame(tables: FeatureTables, cfg: dict) -> ModelFrame:
    """The model matrix of a composed config (imputation and the tier policy from cfg["features"])."""
    fill = int(cfg["features"]["imputation"]["forward_fill_limit"])
    return model_frame_from_tables(tables.technical, tables.options, fill, tables.extra, tables.vol_index,
                                   tier_policy(cfg))  # fmt: skip


def outer_folds(n_rows: int, cv: dict) -> list:
    """The walk-forward folds of cfg["cv"] over `n_rows` model rows."""
    return walk_forward_splits(
        n_rows, int(cv["n_folds"]), int(cv["min_train"]), int(cv["embargo"]), int(cv["gap"]), cv["window"],
        cv["max_train"],
    )  # fmt: skip


def base_model_predictions(tables: FeatureTables, cfg: dict) -> BaseTraining:
    """Walk-forward OOF predictions of every model in cfg["model"], plus final refits on all known rows.

    `cfg` needs the sections model, tuning, cv, features.imputation, features.options and seed.
    """
    frame = model_frame(tables, cfg)
    tuning_cfg = cfg["tuning"]
    folds = outer_folds(len(frame.target), cfg["cv"])
    tuning = tuning_spec(cfg)
    tuned = {name: tuning for name in tuning_cfg["models"]}
    specs = base_model_specs(cfg, tuning.n_workers)
    oof, models, metrics = walk_forward_oof(frame, frame.feature_names, folds, specs, int(cfg["seed"]), tuned)
    trials = pd.concat([m.trials for m in models.values()], ignore_index=True)
    manifest = model_manifest(
        {name: m.final_params for name, m in models.items()},
        frame.feature_names,
        frame.dates[frame.target.notna()],
        metrics,
    ) | {"feature_tiers": frame.tiers, "chain_features": frame.chain_tier.as_dict()}
    return BaseTraining(
        oof=oof,
        folds=folds_table(folds, frame.dates),
        trials=trials if not trials.empty else pd.DataFrame(columns=["model", "fold", "number", "value", "state"]),
        models=models,
        metrics=metrics,
        manifest=manifest,
        frame=frame,
    )


def tuning_spec(cfg: dict) -> TuningSpec:
    """The nested-tuning settings of a composed config (cfg["tuning"], inner folds from cfg["cv"], studies named
    under the ticker's name, data.name); tuning.n_workers null means one per core."""
    cv, tuning = cfg["cv"], cfg["tuning"]
    return TuningSpec(
        int(tuning["n_trials"]), int(cv["inner_folds"]), int(cv["gap"]), int(cv["embargo"]), tuning["storage"],
        bool(tuning["prune"]), worker_count(tuning.get("n_workers", 1)), cfg["data"].get("name", ""),
    )  # fmt: skip


def base_model_specs(cfg: dict, tuning_workers: int = 1) -> list[BaseModelSpec]:
    """The base learners of cfg["model"] (factory, fixed params, search space; median imputation per config),
    the cores shared among `tuning_workers` processes."""
    impute = bool(cfg["features"]["imputation"]["median_in_fold"])
    threads = max(worker_count(cfg.get("n_jobs")) // tuning_workers, 1)
    return [
        BaseModelSpec(name, model["factory"], model["params"], model.get("search_space", {}), impute, threads)
        for name, model in cfg["model"].items()
    ]


def walk_forward_oof(
    frame: ModelFrame,
    columns: list[str],
    folds: list,
    specs: list[BaseModelSpec],
    seed: int,
    tuning: dict[str, TuningSpec],
    refit: bool = True,
) -> tuple[pd.DataFrame, dict[str, FitResult], dict[str, dict[str, float]]]:
    """Out-of-fold predictions of each base learner on `columns` of the frame (test rows only: date, fold,
    target, pred_<name>), the fits (final refits unless `refit` is off) and each model's signal metrics.
    A learner named in `tuning` is tuned inside every training window."""
    x, y = frame.features[columns].to_numpy(), frame.target.to_numpy()
    first_test = folds[0].test_start
    oof = pd.DataFrame({"date": frame.dates, "fold": -1, "target": frame.target})
    for fold in folds:
        oof.loc[fold.test, "fold"] = fold.index
    models, metrics = {}, {}
    for spec in specs:
        models[spec.name] = fit_base_model(spec, x, y, folds, seed, tuning.get(spec.name), refit)
        oof[f"pred_{spec.name}"] = models[spec.name].oof
        metrics[spec.name] = signal_metrics(models[spec.name].oof[first_test:], y[first_test:])
    return oof.iloc[first_test:].reset_index(drop=True), models, metrics
