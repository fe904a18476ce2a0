"""train_meta: a LinearRegression stack on base OOF predictions, evaluated walk-forward (purged for the chosen
horizon), then refitted on all."""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.io import read_table, write_json, write_parquet, write_with
from spyglass.models.meta import stacked_predictions
from spyglass.models.registry import save_stack, stack_manifest
from spyglass.schemas import BaseOofSchema, MetaOofSchema, validate
from spyglass.strategy.choice import read_choice


def main(cfg: DictConfig) -> None:
    base = read_table(cfg.paths.base_oof, BaseOofSchema)
    horizon = read_choice(cfg.paths.choice).horizon_days
    meta = stacked_predictions(base, to_plain(cfg.meta), int(cfg.cv.gap), int(cfg.cv.embargo), horizon)
    oof = validate(meta.oof, MetaOofSchema, "meta OOF predictions")
    write_parquet(oof, cfg.paths.meta_oof)
    save_stack(cfg.paths.meta_model, meta.model, meta.inputs)
    manifest = stack_manifest(meta.inputs, base["date"][base["target"].notna()], to_plain(cfg.meta), meta.metrics)
    write_json(manifest, cfg.paths.meta_manifest)
    write_json(meta.metrics, f"{cfg.paths.metrics_dir}/train_meta.json")
    write_with(lambda tmp: meta.rolling_ic.round(6).to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/rolling_ic.csv")
    log.info("train_meta: stack OOF %s, weights %s", meta.metrics["stack"], meta.metrics["weights"])


if __name__ == "__main__":
    run_stage(main)
