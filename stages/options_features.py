"""options_features: one row of options features per snapshot date, from the snapshot store, plus the latest
snapshot's exposure tables (per strike, per expiry, gamma profile over spot) for the app.

The cleaning rules' drop counts, the IV solver's status counts and the price sources go to the stage's metrics.
"""

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data.store import partition_files, read_snapshots
from spyglass.io import write_json, write_parquet
from spyglass.pipeline import options_feature_table
from spyglass.schemas import (
    DatedSchema,
    ExposureByExpirySchema,
    ExposureByStrikeSchema,
    GammaProfileSchema,
    OptionsFeaturesSchema,
    empty_frame,
    validate,
)

LATEST_TABLES = {
    "by_strike.parquet": ExposureByStrikeSchema,
    "by_expiry.parquet": ExposureByExpirySchema,
    "gamma_profile.parquet": GammaProfileSchema,
}


def main(cfg: DictConfig) -> None:
    latest = Path(cfg.paths.options_latest)
    if not partition_files(cfg.paths.options_store):  # a source without options: empty tables, no features
        write_parquet(validate(pd.DataFrame({"date": pd.to_datetime([])}), DatedSchema, "options features"),
                      cfg.paths.options_features)  # fmt: skip
        for name, schema in LATEST_TABLES.items():
            write_parquet(validate(empty_frame(schema), schema, name), latest / name)
        write_json({"rows": 0, "snapshots": 0}, f"{cfg.paths.metrics_dir}/options_features.json")
        log.info("options_features: the snapshot store is empty (data=%s has no options)", cfg.data.source)
        return

    chains = read_snapshots(cfg.paths.options_store)
    features, analytics = options_feature_table(chains, to_plain(cfg.data), to_plain(cfg.features.options))
    features = validate(features, OptionsFeaturesSchema, "options features")
    tables = {
        "by_strike.parquet": analytics.latest_by_strike,
        "by_expiry.parquet": analytics.latest_by_expiry,
        "gamma_profile.parquet": analytics.latest_profile,
    }
    tables = {name: validate(table, LATEST_TABLES[name], name) for name, table in tables.items()}
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
