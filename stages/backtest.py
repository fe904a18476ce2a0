"""backtest: run the allocations through the vectorised engine; state the verdict against both benchmarks with
error bars; write metrics, plot tables, the tearsheet and daily results."""

import json
from pathlib import Path

from omegaconf import DictConfig

from spyglass.backtest.engine import backtest_with_benchmarks
from spyglass.backtest.report import backtest_summary, plot_tables
from spyglass.backtest.tearsheet import render_charts, tearsheet_html
from spyglass.backtest.verdict import RuleSettings, strategy_verdict
from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.data.vol_indices import indices_source
from spyglass.io import read_table, write_json, write_parquet, write_text, write_with
from spyglass.schemas import AllocationsSchema, BacktestDailySchema, PricesSchema, TrialsSchema, validate
from spyglass.strategy.choice import read_choice


def main(cfg: DictConfig) -> None:
    allocations = read_table(cfg.paths.allocations, AllocationsSchema)
    prices = read_table(cfg.paths.prices, PricesSchema)
    rf, cost_bps = float(cfg.data.risk_free_rate), float(cfg.backtest.cost_bps)
    slippage_bps = float(cfg.backtest.slippage_bps)
    daily = validate(
        backtest_with_benchmarks(allocations, prices, cost_bps, rf, slippage_bps), BacktestDailySchema, "backtest"
    )
    ablation_path = Path(cfg.paths.metrics_dir) / "ablation.json"
    ablation = json.loads(ablation_path.read_text())
    # every candidate compared and every Optuna trial run to get here
    n_trials = len(ablation["candidates"]) + len(read_table(cfg.paths.trials, TrialsSchema))
    summary = backtest_summary(daily, cost_bps, n_trials, slippage_bps)
    rule = RuleSettings.from_config(to_plain(cfg.comparison), int(cfg.seed))
    verdict = strategy_verdict(daily, read_choice(cfg.paths.choice), rule)
    summary |= {"verdict": verdict | {"pbo": (ablation.get("pbo") or {}).get("pbo")},
                "indices": indices_source(to_plain(cfg.data))}  # fmt: skip

    write_parquet(daily, cfg.paths.backtest_daily)
    for name, table in plot_tables(daily, allocations).items():
        write_with(lambda tmp, t=table: t.to_csv(tmp, index=False), Path(cfg.paths.plots_dir) / name)
    write_json(summary, f"{cfg.paths.metrics_dir}/backtest.json")
    charts = render_charts(daily, allocations)
    reports = Path(cfg.paths.reports_dir)
    for name, png in charts.items():
        write_with(lambda tmp, data=png: tmp.write_bytes(data), reports / f"{name}.png")
    page = tearsheet_html(summary, charts, f"spyglass backtest: {cfg.data.ticker} ({cfg.data.source})", ablation)
    write_text(page, reports / "tearsheet.html")
    log.info("backtest %s..%s: %s", summary["period"]["start"], summary["period"]["end"], verdict["headline"])


if __name__ == "__main__":
    run_stage(main)
