"""train_base's pure core: the model frame of a config, walk-forward OOF predictions of each base learner with
tuning inside every training window, and the final refits. Frames and config in, frames out.

The ablation and train_base stages add only reading, validation and writing; tests (the no-look-ahead test above
all) call these functions directly, so what they check is exactly what the pipeline runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from spyglass.errors import DataError
from spyglass.features.assemble import ModelFrame, TierPolicy, model_frame_from_tables
from spyglass.features.tables import FeatureTables
from spyglass.models.base import worker_count
from spyglass.models.cv import folds_table, purge_for_horizon, walk_forward_splits
from spyglass.models.evaluation import signal_metrics
from spyglass.models.feature_sets import FeatureSet
from spyglass.models.oof import BaseModelSpec, FitResult, fit_base_model
from spyglass.models.registry import model_manifest
from spyglass.models.tuning import TuningSpec

ALL_FEATURES = FeatureSet("all", ("technical", "index", "chain", "extra"))


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


def model_frame(tables: FeatureTables, cfg: dict, horizon_days: int = 1) -> ModelFrame:
    """The model matrix of a composed config (imputation and the tier policy from cfg["features"]), its target
    the forward `horizon_days` excess log return."""
    fill = int(cfg["features"]["imputation"]["forward_fill_limit"])
    return model_frame_from_tables(tables.technical, tables.options, fill, tables.extra, tables.vol_index,
                                   tier_policy(cfg), horizon_days)  # fmt: skip


def outer_folds(n_rows: int, cv: dict, horizon_days: int = 1) -> list:
    """The walk-forward folds of cfg["cv"] over `n_rows` model rows, purged for a target over `horizon_days`."""
    gap, embargo = purge_for_horizon(int(cv["gap"]), int(cv["embargo"]), horizon_days)
    return walk_forward_splits(
        n_rows, int(cv["n_folds"]), int(cv["min_train"]), embargo, gap, cv["window"], cv["max_train"]
    )


def base_model_predictions(
    tables: FeatureTables, cfg: dict, horizon_days: int = 1, feature_set: FeatureSet = ALL_FEATURES
) -> BaseTraining:
    """Walk-forward OOF predictions of the learners of cfg["model"] that `feature_set` keeps, on its columns, for
    the target over `horizon_days`, plus final refits on all known rows.

    `cfg` needs the sections model, tuning, cv, features.imputation, features.options and seed.
    """
    frame = model_frame(tables, cfg, horizon_days)
    columns = feature_set.columns(frame)
    tuning_cfg = cfg["tuning"]
    folds = outer_folds(len(frame.target), cfg["cv"], horizon_days)
    tuning = tuning_spec(cfg, horizon_days)
    tuned = {name: tuning for name in tuning_cfg["models"]}
    specs = feature_set.learners_for(base_model_specs(cfg, tuning.n_workers), columns)
    if not specs:
        raise DataError(f"feature set {feature_set.name!r}: no learner of `model` takes its features")
    oof, models, metrics = walk_forward_oof(frame, columns, folds, specs, int(cfg["seed"]), tuned)
    trials = pd.concat([m.trials for m in models.values()], ignore_index=True)
    manifest = model_manifest(
        {name: m.final_params for name, m in models.items()},
        columns,
        frame.dates[frame.target.notna()],
        metrics,
    ) | {
        "feature_tiers": {tier: [c for c in names if c in columns] for tier, names in frame.tiers.items()},
        "chain_features": frame.chain_tier.as_dict(),
        "horizon_days": horizon_days,
        "feature_set": feature_set.name,
    }
    return BaseTraining(
        oof=oof,
        folds=folds_table(folds, frame.dates),
        trials=trials if not trials.empty else pd.DataFrame(columns=["model", "fold", "number", "value", "state"]),
        models=models,
        metrics=metrics,
        manifest=manifest,
        frame=frame,
    )


def tuning_spec(cfg: dict, horizon_days: int = 1) -> TuningSpec:
    """The nested-tuning settings of a composed config (cfg["tuning"], inner folds from cfg["cv"] purged for the
    horizon, studies named under the ticker's name, data.name); tuning.n_workers null means one per core."""
    cv, tuning = cfg["cv"], cfg["tuning"]
    gap, embargo = purge_for_horizon(int(cv["gap"]), int(cv["embargo"]), horizon_days)
    return TuningSpec(
        int(tuning["n_trials"]), int(cv["inner_folds"]), gap, embargo, tuning["storage"],
        bool(tuning["prune"]), worker_count(tuning.get("n_workers", 1), "tuning.n_workers"),
        cfg["data"].get("name", ""),
    )  # fmt: skip


def base_model_specs(cfg: dict, tuning_workers: int = 1) -> list[BaseModelSpec]:
    """The base learners of cfg["model"] (factory, fixed params, search space; median imputation per config),
    the cores shared among `tuning_workers` processes."""
    impute = bool(cfg["features"]["imputation"]["median_in_fold"])
    threads = max(worker_count(cfg.get("n_jobs")) // tuning_workers, 1)
    return [
        BaseModelSpec(
            name,
            model["factory"],
            model["params"],
            model.get("search_space", {}),
            impute,
            threads,
            tuple(model.get("features") or ()),
        )
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
    """Out-of-fold predictions of each base learner on `columns` of the frame (a learner with named features on
    those of them present; test rows only: date, fold, target, pred_<name>), the fits (final refits unless
    `refit` is off) and each model's signal metrics (on non-overlapping rows of the frame's horizon). A learner
    named in `tuning` is tuned inside every training window."""
    x, y = frame.features[columns].to_numpy(), frame.target.to_numpy()
    first_test = folds[0].test_start
    oof = pd.DataFrame({"date": frame.dates, "fold": -1, "target": frame.target})
    for fold in folds:
        oof.loc[fold.test, "fold"] = fold.index
    models, metrics = {}, {}
    for spec in specs:
        positions = spec.positions(columns)
        models[spec.name] = fit_base_model(spec, x, y, folds, seed, tuning.get(spec.name), refit, positions)
        oof[f"pred_{spec.name}"] = models[spec.name].oof
        metrics[spec.name] = signal_metrics(models[spec.name].oof[first_test:], y[first_test:], frame.horizon_days)
    return oof.iloc[first_test:].reset_index(drop=True), models, metrics
