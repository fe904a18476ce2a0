"""options_features: the options information of each day, in two tiers.

- Index tier: features of the implied-volatility indices (VIX family) for every bar date, from the indices
  fetch stored and the bars (spyglass.features.vol_index).
- Chain tier: one row of features per snapshot date in the store, plus the latest snapshot's exposure tables
  (per strike, per expiry, gamma profile over spot) for the app. The store must hold this source's kind of
  snapshots only; a source without options uses none of it.

The cleaning rules' drop counts, the IV solver's status counts, the price sources, what the positions are valued
at (the share of open interest priced from its own quote, a smile or the provider; the smiles' fit) and the
indices used go to the stage's metrics.
"""

from pathlib import Path

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data import snapshot_provenance
from spyglass.data.store import partition_files, read_snapshots
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.io import read_table, write_json, write_parquet
from spyglass.options.features import options_feature_table
from spyglass.schemas import (
    DatedSchema,
    ExposureByExpirySchema,
    ExposureByStrikeSchema,
    GammaProfileSchema,
    OptionsFeaturesSchema,
    PricesSchema,
    VolIndexFeaturesSchema,
    VolIndicesSchema,
    empty_frame,
    validate,
)

LATEST_TABLES = {
    "by_strike.parquet": ExposureByStrikeSchema,
    "by_expiry.parquet": ExposureByExpirySchema,
    "gamma_profile.parquet": GammaProfileSchema,
}


def chain_tier(cfg: DictConfig) -> dict:
    """Write the chain features and latest tables; returns the stage's metrics for them."""
    latest = Path(cfg.paths.options_latest)
    provenance = snapshot_provenance(to_plain(cfg.data))
    if provenance is None or not partition_files(cfg.paths.options_store):
        write_parquet(validate(empty_frame(DatedSchema), DatedSchema, "options features"), cfg.paths.options_features)
        for name, schema in LATEST_TABLES.items():
            write_parquet(validate(empty_frame(schema), schema, name), latest / name)
        why = "the snapshot store is empty" if provenance else f"data={cfg.data.source} has no options"
        log.info("options_features: no chain features (%s)", why)
        return {"rows": 0, "snapshots": 0, "note": why}

    chains = read_snapshots(cfg.paths.options_store, provenance)
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
    log.info("options_features: %d snapshot dates; cleaning dropped %s", len(features), analytics.dropped_by_rule)
    return {
        "rows": chains.height,
        "snapshots": len(features),
        "dropped_by_rule": analytics.dropped_by_rule,
        "iv_status": analytics.iv_status,
        "price_source": analytics.price_source,
        "valuation": analytics.valuation,
    }


def main(cfg: DictConfig) -> None:
    indices = read_table(cfg.paths.vol_indices, VolIndicesSchema)
    prices = read_table(cfg.paths.prices, PricesSchema)
    index_features, used = vol_index_features(
        indices, prices, VolIndexSpec.from_config(to_plain(cfg.features.vol_index))
    )
    index_features = validate(index_features, VolIndexFeaturesSchema, "volatility index features")
    report = chain_tier(cfg)
    write_parquet(index_features, cfg.paths.vol_index_features)
    report["vol_index"] = {"rows": len(index_features), "indices": used, "features": list(index_features.columns[1:])}
    write_json(report, f"{cfg.paths.metrics_dir}/options_features.json")
    log.info("options_features: %d days of volatility index features from %s", len(index_features), list(used))


if __name__ == "__main__":
    run_stage(main)
