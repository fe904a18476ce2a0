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

from spyglass.features.assemble import model_frame_from_tables
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
    """train_base's results: OOF table (test rows only), fold boundaries, trials, fitted models, metrics."""

    oof: pd.DataFrame
    folds: pd.DataFrame
    trials: pd.DataFrame
    models: dict[str, FitResult]
    metrics: dict[str, dict[str, float]]
    manifest: dict[str, Any]


def base_model_predictions(
    ta_table: pd.DataFrame, options_table: pd.DataFrame, cfg: dict, extra_table: pd.DataFrame | None = None
) -> BaseTraining:
    """Walk-forward OOF predictions of every model in cfg["model"], plus final refits on all known rows.

    `cfg` needs the sections model, tuning, cv, features.imputation and seed.
    """
    imputation = cfg["features"]["imputation"]
    frame = model_frame_from_tables(ta_table, options_table, int(imputation["forward_fill_limit"]), extra_table)
    x, y = frame.features.to_numpy(), frame.target.to_numpy()
    cv = cfg["cv"]
    folds = walk_forward_splits(
        len(y), int(cv["n_folds"]), int(cv["min_train"]), int(cv["embargo"]), int(cv["gap"]), cv["window"],
        cv["max_train"],
    )  # fmt: skip
    tuning_cfg = cfg["tuning"]
    tuning = TuningSpec(
        int(tuning_cfg["n_trials"]), int(cv["inner_folds"]), int(cv["gap"]), int(cv["embargo"]),
        tuning_cfg["storage"], bool(tuning_cfg["prune"]),
    )  # fmt: skip
    first_test = folds[0].test_start

    oof = pd.DataFrame({"date": frame.dates, "fold": -1, "target": frame.target})
    for fold in folds:
        oof.loc[fold.test, "fold"] = fold.index
    models, metrics = {}, {}
    for name, model_cfg in cfg["model"].items():
        spec = BaseModelSpec(
            name,
            model_cfg["factory"],
            model_cfg["params"],
            model_cfg.get("search_space", {}),
            bool(imputation["median_in_fold"]),
        )
        tuned = tuning if name in cfg["tuning"]["models"] else None
        models[name] = fit_base_model(spec, x, y, folds, int(cfg["seed"]), tuned)
        oof[f"pred_{name}"] = models[name].oof
        metrics[name] = signal_metrics(models[name].oof[first_test:], y[first_test:])

    trials = pd.concat([m.trials for m in models.values()], ignore_index=True)
    manifest = model_manifest(
        {name: m.final_params for name, m in models.items()},
        frame.feature_names,
        frame.dates[frame.target.notna()],
        metrics,
    )
    return BaseTraining(
        oof=oof.iloc[first_test:].reset_index(drop=True),
        folds=folds_table(folds, frame.dates),
        trials=trials if not trials.empty else pd.DataFrame(columns=["model", "fold", "number", "value", "state"]),
        models=models,
        metrics=metrics,
        manifest=manifest,
    )


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
