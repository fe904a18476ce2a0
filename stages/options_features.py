"""options_features: one row of options features per snapshot date, from the snapshot store."""

import pandas as pd
from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.data.store import read_snapshots
from spyglass.io import write_parquet
from spyglass.options.features import options_features
from spyglass.schemas import OptionsFeaturesSchema, validate


def main(cfg: DictConfig) -> None:
    chains = read_snapshots(cfg.paths.options_store)
    settings = cfg.features.options
    features = options_features(
        chains,
        risk_free_rate=float(cfg.data.risk_free_rate),
        dividend_yield=float(cfg.data.dividend_yield),
        atm_maturities_days=list(settings.atm_maturities_days),
        skew_moneyness=float(settings.skew_moneyness),
    ).to_pandas()
    features["date"] = pd.to_datetime(features["date"])
    features = validate(features, OptionsFeaturesSchema, "options features")
    write_parquet(features, cfg.paths.options_features)
    log.info("options_features: %d snapshot dates", len(features))


if __name__ == "__main__":
    run_stage(main)
