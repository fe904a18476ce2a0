"""fetch: load prices, option chains, volatility indices and any extra features from the configured provider;
write the bars, the snapshot store, the indices, the extra features and a data-quality report.

A real source's chains go into the store first, as soon as they are valid (and, when the bars are valid, dated
on trading days): a day's chain can never be fetched again, so bars that fail must not take it with them.
Everything else is validated (schemas, then spyglass.data.checks: row count, run date, gaps, jumps) before
anything is written, so a bad fetch leaves the stored data as it was. A simulated source rebuilds the store.
"""

import datetime as dt

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data import load_market_data, snapshot_provenance, source_of
from spyglass.data.checks import BarChecks, check_bars, check_snapshot_dates
from spyglass.data.quality import missing_share_table, missingness, render_png
from spyglass.data.store import Provenance, replace_store, write_snapshots
from spyglass.data.yahoo import FetchError
from spyglass.data.yfinance import BarsFailedError
from spyglass.io import write_json, write_parquet, write_with
from spyglass.schemas import (
    DataValidationError,
    ExtraFeaturesSchema,
    OptionChainSchema,
    PricesSchema,
    VolIndicesSchema,
    validate,
)


def append_snapshots(chains, cfg: DictConfig, provenance: Provenance, prices=None) -> dict:
    """Store a real source's snapshots (validated, dated on the bars' days when valid bars are given, one kind
    per store, fuller partitions kept); the report."""
    label = f"data={provenance.source} option chains"
    chains = validate(chains, OptionChainSchema, label)
    if prices is not None:
        check_snapshot_dates(chains, prices["date"], label)
    written = write_snapshots(chains, cfg.paths.options_store, provenance, bool(cfg.data.get("replace_snapshots")))
    return {"snapshots_written": len(written.written), "snapshots_kept": written.kept}


def chains_were_stored(exc: DataValidationError) -> DataValidationError:
    """The error, saying that the day's chains were stored before it."""
    return DataValidationError(f"{exc}\n(the option chains were valid and are stored)")


def main(cfg: DictConfig) -> None:
    data_cfg = to_plain(cfg.data)
    provenance = snapshot_provenance(data_cfg)
    simulated = source_of(data_cfg).simulated
    label = f"data={data_cfg['source']}"
    try:
        market = load_market_data(data_cfg, int(cfg.seed))
    except BarsFailedError as exc:
        if exc.chains is None or provenance is None:
            raise
        stored = append_snapshots(exc.chains, cfg, provenance)
        raise FetchError(f"{exc} (the option chains arrived and were stored: {stored})") from exc

    stored = {"snapshots_written": 0, "snapshots_kept": {}}
    try:
        prices = validate(market.prices, PricesSchema, f"{label} prices")
        check_bars(prices, BarChecks.from_config(to_plain(cfg.checks)), dt.datetime.now(dt.UTC).date(),
                   f"{label} prices")  # fmt: skip
    except DataValidationError as exc:
        if market.chains is not None and not simulated:
            stored = append_snapshots(market.chains, cfg, provenance)
            raise chains_were_stored(exc) from None
        raise
    if market.chains is not None and not simulated:
        stored = append_snapshots(market.chains, cfg, provenance, prices)
    try:
        extra = market.extra_features if market.extra_features is not None else prices[["date"]]
        extra = validate(extra, ExtraFeaturesSchema, f"{label} extra features")
        indices = market.vol_indices if market.vol_indices is not None else prices[["date"]].iloc[0:0]
        indices = validate(indices, VolIndicesSchema, f"{label} volatility indices")
        chains = market.chains  # a real source's were validated when stored
        if chains is not None and simulated:
            chains = validate(chains, OptionChainSchema, f"{label} option chains")
            check_snapshot_dates(chains, prices["date"], f"{label} option chains")
    except DataValidationError as exc:
        if stored["snapshots_written"]:
            raise chains_were_stored(exc) from None
        raise

    if chains is not None and simulated:
        stored["snapshots_written"] = replace_store(chains, cfg.paths.options_store, provenance)
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
            "description": market.description,
            "missing": {report.table: report.as_dict() for report in quality},
            "price_rows": len(prices),
            "first_date": prices["date"].iloc[0],
            "last_date": prices["date"].iloc[-1],
            "store": "unused" if chains is None else ("rebuilt" if simulated else "appended"),
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
