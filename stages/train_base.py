"""train_base: walk-forward out-of-fold predictions for each configured base learner, then a final refit.

Writes OOF predictions, fold boundaries, Optuna trials, the refitted models with a manifest, and metrics.
"""

from pathlib import Path

import joblib
from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.io import json_text, read_table, replace_dir, write_json, write_parquet, write_with
from spyglass.models.tuning import optimisation_history
from spyglass.pipeline import base_model_predictions
from spyglass.schemas import (
    BaseOofSchema,
    DatedSchema,
    ExtraFeaturesSchema,
    FoldsSchema,
    OptionsFeaturesSchema,
    TechnicalFeaturesSchema,
    validate,
)


def main(cfg: DictConfig) -> None:
    options_table = read_table(cfg.paths.options_features, DatedSchema)  # empty for a source without options
    if len(options_table):
        options_table = validate(options_table, OptionsFeaturesSchema, cfg.paths.options_features)
    training = base_model_predictions(
        read_table(cfg.paths.ta_features, TechnicalFeaturesSchema),
        options_table,
        to_plain(cfg),
        read_table(cfg.paths.extra_features, ExtraFeaturesSchema),
    )
    oof = validate(training.oof, BaseOofSchema, "base OOF predictions")
    folds = validate(training.folds, FoldsSchema, "walk-forward folds")

    def save_models(directory: Path) -> None:
        for name, result in training.models.items():
            joblib.dump(result.final_model, directory / f"{name}.joblib")
        (directory / "manifest.json").write_text(json_text(training.manifest))
        best = {name: result.final_params for name, result in training.models.items()}
        (directory / "best_params.json").write_text(json_text(best))

    write_parquet(oof, cfg.paths.base_oof)
    write_parquet(folds, cfg.paths.folds)
    write_parquet(training.trials, cfg.paths.trials)
    history = optimisation_history(training.trials)  # only a `trial` column when nothing was tuned
    write_with(lambda tmp: history.to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/optuna_history.csv")
    replace_dir(save_models, cfg.paths.base_dir)
    write_json({"oof": training.metrics, "folds": len(folds)}, f"{cfg.paths.metrics_dir}/train_base.json")
    for name, metrics in training.metrics.items():
        log.info("train_base: %s OOF %s", name, metrics)


if __name__ == "__main__":
    run_stage(main)
