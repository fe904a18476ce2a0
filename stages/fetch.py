"""fetch: load prices, option chains and any extra features from the configured provider; write the bars, the
snapshot store, the extra features and a data-quality report.

Every table is validated before any is written, so a bad fetch leaves the stored data as it was.
"""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data import load_market_data
from spyglass.data.quality import missing_share_table, missingness, render_png
from spyglass.data.store import replace_store, write_snapshots
from spyglass.io import write_json, write_parquet, write_with
from spyglass.schemas import ExtraFeaturesSchema, OptionChainSchema, PricesSchema, validate


def main(cfg: DictConfig) -> None:
    data_cfg = to_plain(cfg.data)
    market = load_market_data(data_cfg, int(cfg.seed))
    source = f"data={data_cfg['source']}"
    prices = validate(market.prices, PricesSchema, f"{source} prices")
    chains = None if market.chains is None else validate(market.chains, OptionChainSchema, f"{source} option chains")
    extra = market.extra_features if market.extra_features is not None else prices[["date"]]
    extra = validate(extra, ExtraFeaturesSchema, f"{source} extra features")

    if chains is None:
        snapshots = replace_store(None, cfg.paths.options_store)  # a source without options empties the store
    elif market.snapshot_mode == "append":
        snapshots = len(write_snapshots(chains, cfg.paths.options_store))
    else:
        snapshots = replace_store(chains, cfg.paths.options_store)
    write_parquet(prices, cfg.paths.prices)
    write_parquet(extra, cfg.paths.extra_features)
    quality = [missingness(prices, "prices", "date")]
    if extra.shape[1] > 1:
        quality.append(missingness(extra, "extra features", "date"))
    if chains is not None:
        quality.append(missingness(chains.to_pandas(), "option quotes", "snapshot_date"))
    write_with(lambda tmp: render_png(quality, tmp), cfg.paths.data_quality_png)
    write_with(lambda tmp: missing_share_table(quality).to_csv(tmp, index=False), f"{cfg.paths.plots_dir}/missing.csv")
    write_json(
        {
            "source": data_cfg["source"],
            "missing": {report.table: report.as_dict() for report in quality},
            "description": market.description,
            "price_rows": len(prices),
            "first_date": prices["date"].iloc[0],
            "last_date": prices["date"].iloc[-1],
            "snapshots_written": snapshots,
            "snapshot_mode": market.snapshot_mode,
            "option_rows": 0 if chains is None else chains.height,
            "extra_feature_columns": extra.shape[1] - 1,
        },
        f"{cfg.paths.metrics_dir}/fetch.json",
    )
    log.info("fetch: %d bars, %d snapshots written (%s)", len(prices), snapshots, market.description)


if __name__ == "__main__":
    run_stage(main)
