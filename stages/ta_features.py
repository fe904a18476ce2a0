"""ta_features: technical indicators (pandas-ta) and the forward excess-return target of each horizon, from
daily bars."""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.features.targets import horizons
from spyglass.features.technical import ta_feature_table
from spyglass.io import read_table, write_parquet
from spyglass.schemas import PricesSchema, TechnicalFeaturesSchema, validate


def main(cfg: DictConfig) -> None:
    prices = read_table(cfg.paths.prices, PricesSchema)
    table = ta_feature_table(prices, to_plain(cfg.features.technical), float(cfg.data.risk_free_rate),
                             horizons(to_plain(cfg.target.horizon_days)))  # fmt: skip
    table = validate(table, TechnicalFeaturesSchema, "technical features")
    write_parquet(table, cfg.paths.ta_features)
    log.info("ta_features: %d rows x %d features", len(table), sum(not c.startswith("target_") for c in table) - 1)


if __name__ == "__main__":
    run_stage(main)
