"""train_base: walk-forward out-of-fold predictions for each configured base learner, then a final refit.

Writes OOF predictions, fold boundaries, Optuna trials, the refitted models with a manifest, and metrics.
"""

from pathlib import Path

import joblib
import pandas as pd
from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.features.assemble import model_frame_from_tables
from spyglass.io import json_text, read_table, replace_dir, write_json, write_parquet
from spyglass.models.cv import folds_table, walk_forward_splits
from spyglass.models.evaluation import signal_metrics
from spyglass.models.registry import model_manifest
from spyglass.models.stacking import BaseModelSpec, TuningSpec, fit_base_model
from spyglass.schemas import (
    BaseOofSchema,
    FoldsSchema,
    OptionsFeaturesSchema,
    TechnicalFeaturesSchema,
    validate,
)


def main(cfg: DictConfig) -> None:
    frame = model_frame_from_tables(
        read_table(cfg.paths.ta_features, TechnicalFeaturesSchema),
        read_table(cfg.paths.options_features, OptionsFeaturesSchema),
    )
    x, y = frame.features.to_numpy(), frame.target.to_numpy()
    folds = walk_forward_splits(len(y), int(cfg.cv.n_folds), int(cfg.cv.min_train), int(cfg.cv.embargo))
    tuning = TuningSpec(int(cfg.tuning.n_trials), int(cfg.cv.inner_folds), int(cfg.cv.embargo))

    first_test = folds[0].test_start
    oof = pd.DataFrame({"date": frame.dates, "fold": -1, "target": frame.target})
    for fold in folds:
        oof.loc[fold.test, "fold"] = fold.index
    results, metrics = {}, {}
    for name, model_cfg in to_plain(cfg.model).items():
        spec = BaseModelSpec(name, model_cfg["factory"], model_cfg["params"], model_cfg.get("search_space", {}))
        tuned = name in cfg.tuning.models
        results[name] = fit_base_model(spec, x, y, folds, int(cfg.seed), tuning if tuned else None)
        oof[f"pred_{name}"] = results[name].oof
        metrics[name] = signal_metrics(results[name].oof[first_test:], y[first_test:])
        log.info("train_base: %s OOF %s", name, metrics[name])

    oof = validate(oof.iloc[first_test:].reset_index(drop=True), BaseOofSchema, "base OOF predictions")
    write_parquet(oof, cfg.paths.base_oof)
    write_parquet(validate(folds_table(folds, frame.dates), FoldsSchema, "folds"), cfg.paths.folds)
    trials = pd.concat([r.trials for r in results.values()], ignore_index=True)
    write_parquet(trials if not trials.empty else pd.DataFrame({"model": [], "fold": []}), cfg.paths.trials)

    def save_models(directory: Path) -> None:
        for name, result in results.items():
            joblib.dump(result.final_model, directory / f"{name}.joblib")
        manifest = model_manifest(
            {name: r.final_params for name, r in results.items()},
            frame.feature_names,
            frame.dates[frame.target.notna()],
            metrics,
        )
        (directory / "manifest.json").write_text(json_text(manifest))

    replace_dir(save_models, cfg.paths.base_dir)
    write_json({"oof": metrics, "folds": len(folds), "rows": len(y)}, f"{cfg.paths.metrics_dir}/train_base.json")


if __name__ == "__main__":
    run_stage(main)
