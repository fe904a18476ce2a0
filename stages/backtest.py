"""backtest: run the allocations through the vectorised engine; write metrics, plot tables and daily results."""

from pathlib import Path

from omegaconf import DictConfig

from spyglass.backtest.engine import run_backtest
from spyglass.backtest.report import backtest_summary, plot_tables
from spyglass.cli import log, run_stage
from spyglass.io import read_table, write_json, write_parquet, write_with
from spyglass.schemas import AllocationsSchema, BacktestDailySchema, PricesSchema, validate


def main(cfg: DictConfig) -> None:
    allocations = read_table(cfg.paths.allocations, AllocationsSchema)
    prices = read_table(cfg.paths.prices, PricesSchema)
    rf, cost_bps = float(cfg.data.risk_free_rate), float(cfg.backtest.cost_bps)
    daily = validate(run_backtest(allocations, prices, cost_bps, rf), BacktestDailySchema, "backtest")
    summary = backtest_summary(daily, cost_bps)

    write_parquet(daily, cfg.paths.backtest_daily)
    for name, table in plot_tables(daily, allocations).items():
        write_with(lambda tmp, t=table: t.to_csv(tmp, index=False), Path(cfg.paths.plots_dir) / name)
    write_json(summary, f"{cfg.paths.metrics_dir}/backtest.json")
    log.info(
        "backtest %s..%s: strategy %s | buy-and-hold %s",
        summary["period"]["start"],
        summary["period"]["end"],
        summary["strategy"],
        summary["buy_and_hold"],
    )


if __name__ == "__main__":
    run_stage(main)
