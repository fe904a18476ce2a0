"""The pure core of each stage that does more than call one library function: frames and config in, frames out.

Stage scripts add only reading, validation and writing; tests (the no-look-ahead test above all) call these
functions directly, so what they check is exactly what the pipeline runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from spyglass.features.assemble import ModelFrame, TierPolicy, model_frame_from_tables
from spyglass.features.tables import FeatureTables
from spyglass.models.cv import folds_table, walk_forward_splits
from spyglass.models.evaluation import rolling_ic, signal_metrics
from spyglass.models.registry import model_manifest
from spyglass.models.stacking import (
    BaseModelSpec,
    FitResult,
    fit_base_model,
    make_meta_learner,
    walk_forward_meta,
)
from spyglass.models.tuning import TuningSpec
from spyglass.options.features import OptionsAnalytics, OptionsFeatureSpec, options_analytics


def options_feature_table(
    chains: pl.DataFrame, data_cfg: dict, options_cfg: dict
) -> tuple[pd.DataFrame, OptionsAnalytics]:
    """Options features (OptionsFeaturesSchema) as pandas with a datetime `date` column, and the full analytics."""
    analytics = options_analytics(
        chains,
        risk_free_rate=float(data_cfg["risk_free_rate"]),
        dividend_yield=float(data_cfg["dividend_yield"]),
        spec=OptionsFeatureSpec.from_config(options_cfg),
    )
    features = analytics.features.to_pandas()
    features["date"] = pd.to_datetime(features["date"])
    return features, analytics


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
    cv, tuning_cfg = cfg["cv"], cfg["tuning"]
    folds = outer_folds(len(frame.target), cv)
    tuning = TuningSpec(
        int(tuning_cfg["n_trials"]), int(cv["inner_folds"]), int(cv["gap"]), int(cv["embargo"]),
        tuning_cfg["storage"], bool(tuning_cfg["prune"]),
    )  # fmt: skip
    tuned = {name: tuning for name in tuning_cfg["models"]}
    oof, models, metrics = walk_forward_oof(frame, frame.feature_names, folds, base_model_specs(cfg), int(cfg["seed"]),
                                            tuned)  # fmt: skip
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


def base_model_specs(cfg: dict) -> list[BaseModelSpec]:
    """The base learners of cfg["model"] (factory, fixed params, search space; median imputation per config)."""
    impute = bool(cfg["features"]["imputation"]["median_in_fold"])
    return [
        BaseModelSpec(name, model["factory"], model["params"], model.get("search_space", {}), impute)
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


@dataclass
class MetaTraining:
    """train_meta's results: walk-forward stack predictions, the refitted meta-learner, metrics."""

    oof: pd.DataFrame
    model: Any
    inputs: list[str]
    metrics: dict[str, Any]
    rolling_ic: pd.DataFrame  # date, stack and each base model: IC over the last meta.rolling_ic_window rows


def stacked_predictions(base_oof: pd.DataFrame, meta_cfg: dict, gap: int, embargo: int) -> MetaTraining:
    """Walk-forward (expanding) LinearRegression stack over the `pred_*` columns of the base OOF table."""
    columns = [c for c in base_oof.columns if c.startswith("pred_")]
    x, y = base_oof[columns].to_numpy(), base_oof["target"].to_numpy()

    def make_meta():
        return make_meta_learner(bool(meta_cfg["positive"]), bool(meta_cfg["fit_intercept"]))

    prediction, fold_id, folds = walk_forward_meta(
        x, y, make_meta, int(meta_cfg["n_folds"]), int(meta_cfg["min_train"]), gap, embargo
    )
    tested = fold_id >= 0
    known = np.isfinite(y)
    final = make_meta().fit(x[known], y[known])
    names = [c.removeprefix("pred_") for c in columns]
    metrics = {
        "stack": signal_metrics(prediction[tested], y[tested]),
        "base_same_rows": {
            n: signal_metrics(base_oof[c].to_numpy()[tested], y[tested]) for n, c in zip(names, columns, strict=True)
        },
        "weights": {n: round(float(w), 6) for n, w in zip(names, final.coef_, strict=True)},
        "intercept": round(float(final.intercept_), 8),
        "folds": len(folds),
    }
    oof = pd.DataFrame({"date": base_oof["date"], "fold": fold_id, "target": y, "prediction": prediction})
    series = {
        "stack": prediction[tested],
        **{n: base_oof[c].to_numpy()[tested] for n, c in zip(names, columns, strict=True)},
    }
    ic = rolling_ic(
        base_oof["date"][tested].reset_index(drop=True), y[tested], series, int(meta_cfg["rolling_ic_window"])
    )
    return MetaTraining(
        oof=oof[tested].reset_index(drop=True), model=final, inputs=columns, metrics=metrics, rolling_ic=ic
    )
