"""fetch: load prices and option chains from the configured provider; write bars and the snapshot store.

Both tables are validated before either is written, so a bad fetch leaves the stored data as it was.
"""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data import load_market_data
from spyglass.data.quality import missing_share_table, missingness, render_png
from spyglass.data.store import replace_store, write_snapshots
from spyglass.io import write_json, write_parquet, write_with
from spyglass.schemas import OptionChainSchema, PricesSchema, validate


def main(cfg: DictConfig) -> None:
    data_cfg = to_plain(cfg.data)
    market = load_market_data(data_cfg, int(cfg.seed))
    source = f"data={data_cfg['source']}"
    prices = validate(market.prices, PricesSchema, f"{source} prices")
    chains = validate(market.chains, OptionChainSchema, f"{source} option chains")

    if market.snapshot_mode == "append":
        snapshots = len(write_snapshots(chains, cfg.paths.options_store))
    else:
        snapshots = replace_store(chains, cfg.paths.options_store)
    write_parquet(prices, cfg.paths.prices)
    quality = [missingness(prices, "prices", "date"), missingness(chains.to_pandas(), "option quotes", "snapshot_date")]
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
            "option_rows": chains.height,
        },
        f"{cfg.paths.metrics_dir}/fetch.json",
    )
    log.info("fetch: %d bars, %d snapshots written (%s)", len(prices), snapshots, market.description)


if __name__ == "__main__":
    run_stage(main)
