"""train_base: walk-forward out-of-fold predictions for each configured base learner, then a final refit.

Writes OOF predictions, fold boundaries, Optuna trials, the refitted models with a manifest, and metrics.
"""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.io import read_table, replace_dir, write_json, write_parquet, write_with
from spyglass.models.registry import save_models
from spyglass.models.tuning import optimisation_history
from spyglass.pipeline import base_model_predictions
from spyglass.schemas import (
    BaseOofSchema,
    DatedSchema,
    ExtraFeaturesSchema,
    FoldsSchema,
    OptionsFeaturesSchema,
    TechnicalFeaturesSchema,
    TrialsSchema,
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

    write_parquet(oof, cfg.paths.base_oof)
    write_parquet(folds, cfg.paths.folds)
    write_parquet(validate(training.trials, TrialsSchema, "Optuna trials"), cfg.paths.trials)
    history = optimisation_history(training.trials)  # only a `trial` column when nothing was tuned
    write_with(lambda tmp: history.to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/optuna_history.csv")
    models = {name: result.final_model for name, result in training.models.items()}
    replace_dir(lambda directory: save_models(directory, models, training.manifest), cfg.paths.base_dir)
    write_json({"oof": training.metrics, "folds": len(folds)}, f"{cfg.paths.metrics_dir}/train_base.json")
    for name, metrics in training.metrics.items():
        log.info("train_base: %s OOF %s", name, metrics)


if __name__ == "__main__":
    run_stage(main)
