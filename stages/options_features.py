"""options_features: one row of options features per snapshot date, from the snapshot store, plus the latest
snapshot's exposure tables (per strike, per expiry, gamma profile over spot) for the app.

The cleaning rules' drop counts, the IV solver's status counts and the price sources go to the stage's metrics.
"""

from pathlib import Path

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data.store import read_snapshots
from spyglass.io import write_json, write_parquet
from spyglass.pipeline import options_feature_table
from spyglass.schemas import (
    ExposureByExpirySchema,
    ExposureByStrikeSchema,
    GammaProfileSchema,
    OptionsFeaturesSchema,
    validate,
)


def main(cfg: DictConfig) -> None:
    chains = read_snapshots(cfg.paths.options_store)
    features, analytics = options_feature_table(chains, to_plain(cfg.data), to_plain(cfg.features.options))
    features = validate(features, OptionsFeaturesSchema, "options features")
    latest = Path(cfg.paths.options_latest)
    tables = {
        "by_strike.parquet": validate(analytics.latest_by_strike, ExposureByStrikeSchema, "exposure by strike"),
        "by_expiry.parquet": validate(analytics.latest_by_expiry, ExposureByExpirySchema, "exposure by expiry"),
        "gamma_profile.parquet": validate(analytics.latest_profile, GammaProfileSchema, "gamma profile"),
    }
    write_parquet(features, cfg.paths.options_features)
    for name, table in tables.items():
        write_parquet(table, latest / name)
    report = {
        "rows": chains.height,
        "snapshots": len(features),
        "dropped_by_rule": analytics.dropped_by_rule,
        "iv_status": analytics.iv_status,
        "price_source": analytics.price_source,
    }
    write_json(report, f"{cfg.paths.metrics_dir}/options_features.json")
    log.info("options_features: %d snapshot dates; cleaning dropped %s", len(features), analytics.dropped_by_rule)


if __name__ == "__main__":
    run_stage(main)
