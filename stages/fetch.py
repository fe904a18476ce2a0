"""fetch: load prices, option chains, volatility indices and any extra features from the configured provider;
write the bars, the snapshot store, the indices, the extra features and a data-quality report.

A real source's chains are filed in the snapshot archive first, as soon as they are valid (spyglass.data.intake):
a day's chain can never be fetched again, so bars that fail must not take it with them. Everything else is
validated (schemas, then spyglass.data.checks: row count, run date, gaps, jumps) before anything is written, so a
bad fetch leaves the stored data as it was. The store is then a mirror of the archive (spyglass.data.archive),
which the daily run appends to as well; a simulated source rebuilds the store instead. The stage holds the
ticker's writer lock throughout (spyglass.writer_lock), so a daily run at the same moment waits its turn.
"""

import datetime as dt
from pathlib import Path

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import data_hash, to_plain
from spyglass.data import snapshot_provenance
from spyglass.data.archive import mirror_archive
from spyglass.data.checks import check_snapshot_dates
from spyglass.data.intake import chains_were_stored, take_in
from spyglass.data.quality import missing_share_table, missingness, render_png
from spyglass.data.store import replace_store
from spyglass.io import write_json, write_parquet, write_with
from spyglass.schemas import (
    DataValidationError,
    ExtraFeaturesSchema,
    OptionChainSchema,
    VolIndicesSchema,
    validate,
)
from spyglass.writer_lock import exclusive_writer


def main(cfg: DictConfig) -> None:
    guarded = f"{cfg.data.name}'s snapshot archive, store and journal"
    with exclusive_writer(cfg.paths.writer_lock, float(cfg.writer_lock_timeout), guarded, "fetch stage"):
        fetch(cfg)


def fetch(cfg: DictConfig) -> None:
    """The stage's work, under the ticker's writer lock."""
    data_cfg = to_plain(cfg.data)
    provenance = snapshot_provenance(data_cfg)
    label = f"data={data_cfg['source']}"
    intake = take_in(to_plain(cfg), dt.datetime.now(dt.UTC).date())
    market, prices, stored = intake.market, intake.prices, intake.filed
    simulated = market.chains is not None and not intake.archived
    try:
        extra = market.extra_features if market.extra_features is not None else prices[["date"]]
        extra = validate(extra, ExtraFeaturesSchema, f"{label} extra features")
        indices = market.vol_indices if market.vol_indices is not None else prices[["date"]].iloc[0:0]
        indices = validate(indices, VolIndicesSchema, f"{label} volatility indices")
        chains = market.chains  # a real source's were validated when filed
        if simulated:
            chains = validate(chains, OptionChainSchema, f"{label} option chains")
            check_snapshot_dates(chains, prices["date"], f"{label} option chains")
    except DataValidationError as exc:
        if stored["snapshots_written"]:
            raise chains_were_stored(exc) from None
        raise

    if simulated:
        stored["snapshots_written"] = replace_store(chains, cfg.paths.options_store, provenance)
    elif intake.archived:
        stored["snapshots_in_store"] = mirror_archive(Path(cfg.paths.snapshot_archive), cfg.paths.options_store)
    write_parquet(prices, cfg.paths.prices)
    write_parquet(extra, cfg.paths.extra_features)
    write_parquet(indices, cfg.paths.vol_indices)
    quality = [missingness(prices, "prices", "date")]
    for table, name in ((extra, "extra features"), (indices, "volatility indices")):
        if table.shape[1] > 1:
            quality.append(missingness(table, name, "date"))
    if chains is not None:
        quality.append(missingness(chains.to_pandas(), "option quotes", "snapshot_date"))
    write_with(lambda tmp: render_png(quality, tmp), cfg.paths.data_quality_png)
    write_with(lambda tmp: missing_share_table(quality).to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/missing.csv")
    write_json(
        {
            "source": data_cfg["source"],
            "data_hash": data_hash(to_plain(cfg)),  # the daily run and the app read a simulated day back by it
            "description": market.description,
            "missing": {report.table: report.as_dict() for report in quality},
            "price_rows": len(prices),
            "first_date": prices["date"].iloc[0],
            "last_date": prices["date"].iloc[-1],
            "store": "unused" if chains is None else ("rebuilt" if simulated else "archived and mirrored"),
            **stored,
            "option_rows": 0 if chains is None else chains.height,
            "vol_index_columns": [c for c in indices.columns if c != "date"],
            "extra_feature_columns": extra.shape[1] - 1,
            **market.report,
        },
        f"{cfg.paths.metrics_dir}/fetch.json",
    )
    log.info("fetch: %d bars, %d snapshots written (%s)", len(prices), stored["snapshots_written"], market.description)


if __name__ == "__main__":
    run_stage(main)
