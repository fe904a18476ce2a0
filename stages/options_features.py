"""options_features: one row of options features per snapshot date, from the snapshot store."""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data.store import read_snapshots
from spyglass.io import write_parquet
from spyglass.pipeline import options_feature_table
from spyglass.schemas import OptionsFeaturesSchema, validate


def main(cfg: DictConfig) -> None:
    chains = read_snapshots(cfg.paths.options_store)
    features = options_feature_table(chains, to_plain(cfg.data), to_plain(cfg.features.options))
    features = validate(features, OptionsFeaturesSchema, "options features")
    write_parquet(features, cfg.paths.options_features)
    log.info("options_features: %d snapshot dates", len(features))


if __name__ == "__main__":
    run_stage(main)
