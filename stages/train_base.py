"""train_base: walk-forward out-of-fold predictions for each base learner of the chosen candidate (the ablation
stage's choice: its horizon and feature set), tuned inside every training window, then a final refit.

Features: those of the chosen feature set; chain-snapshot features only where the tier policy includes them
(the decision is logged and goes to the metrics). Writes OOF predictions, fold boundaries, Optuna trials, the
refitted models with a manifest, and metrics.
"""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.features.tables import read_feature_tables
from spyglass.io import replace_dir, write_json, write_parquet, write_with
from spyglass.models.feature_sets import feature_sets
from spyglass.models.registry import save_models
from spyglass.models.training import base_model_predictions
from spyglass.models.tuning import discard_file_storage, optimisation_history
from spyglass.schemas import BaseOofSchema, FoldsSchema, TrialsSchema, validate
from spyglass.strategy.choice import read_choice


def main(cfg: DictConfig) -> None:
    plain = to_plain(cfg)
    discard_file_storage(plain["tuning"]["storage"])  # this run's studies start afresh
    choice = read_choice(cfg.paths.choice)
    feature_set = feature_sets(plain["comparison"]["feature_sets"])[choice.feature_set]
    training = base_model_predictions(read_feature_tables(plain["paths"]), plain, choice.horizon_days, feature_set)
    tier = training.frame.chain_tier
    log.info("train_base: %s on %s; %s", choice.candidate, ", ".join(training.models), tier.reason)
    oof = validate(training.oof, BaseOofSchema, "base OOF predictions")
    folds = validate(training.folds, FoldsSchema, "walk-forward folds")

    write_parquet(oof, cfg.paths.base_oof)
    write_parquet(folds, cfg.paths.folds)
    write_parquet(validate(training.trials, TrialsSchema, "Optuna trials"), cfg.paths.trials)
    history = optimisation_history(training.trials)  # only a `trial` column when nothing was tuned
    write_with(lambda tmp: history.to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/optuna_history.csv")
    models = {name: result.final_model for name, result in training.models.items()}
    replace_dir(lambda directory: save_models(directory, models, training.manifest), cfg.paths.base_dir)
    write_json(
        {
            "oof": training.metrics,
            "candidate": choice.candidate,
            "horizon_days": choice.horizon_days,
            "feature_set": choice.feature_set,
            "folds": len(folds),
            "rows": len(training.frame.target),
            "chain_features": tier.as_dict(),
            "features_per_tier": {name: len(columns) for name, columns in training.frame.tiers.items()},
        },
        f"{cfg.paths.metrics_dir}/train_base.json",
    )
    for name, metrics in training.metrics.items():
        log.info("train_base: %s OOF %s", name, metrics)


if __name__ == "__main__":
    run_stage(main)
