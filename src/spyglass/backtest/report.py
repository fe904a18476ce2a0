"""Backtest summary: metrics for the strategy (with and without costs) and buy-and-hold, and plot tables."""

from __future__ import annotations

import pandas as pd

from spyglass.backtest.metrics import ReturnSeries, compute_metrics
from spyglass.features.targets import TRADING_DAYS_PER_YEAR


def backtest_summary(daily: pd.DataFrame, cost_bps: float) -> dict:
    """Nested dict for metrics/backtest.json: strategy, strategy_gross, buy_and_hold, and the period."""
    rf = daily["risk_free_return"].to_numpy()
    position = daily["position"].to_numpy()
    ones = position * 0 + 1.0

    def summary(returns: str, positions) -> dict[str, float]:
        return compute_metrics(ReturnSeries(daily[returns].to_numpy(), positions, rf, TRADING_DAYS_PER_YEAR))

    return {
        "strategy": summary("strategy_return", position),
        "strategy_gross": summary("strategy_return_gross", position),
        "buy_and_hold": summary("benchmark_return", ones),
        "period": {
            "start": daily["date"].iloc[0].strftime("%Y-%m-%d"),
            "end": daily["date"].iloc[-1].strftime("%Y-%m-%d"),
            "days": len(daily),
            "cost_bps": cost_bps,
        },
    }


def plot_tables(daily: pd.DataFrame, allocations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """CSV tables for `dvc plots`: equity (strategy vs buy-and-hold), drawdown, allocation."""
    day = daily["date"].dt.strftime("%Y-%m-%d")
    return {
        "equity.csv": pd.DataFrame(
            {"date": day, "strategy": daily["equity"].round(6), "buy_and_hold": daily["benchmark_equity"].round(6)}
        ),
        "drawdown.csv": pd.DataFrame({"date": day, "drawdown": daily["drawdown"].round(6)}),
        "allocation.csv": pd.DataFrame(
            {"date": allocations["date"].dt.strftime("%Y-%m-%d"), "allocation": allocations["allocation"].round(6)}
        ),
    }


def format_summary(summary: dict) -> str:
    """The metrics of backtest_summary as a fixed-width table: one row per metric, one column per series."""
    from spyglass.backtest.metrics import METRICS

    columns = {"strategy": "strategy (net)", "strategy_gross": "strategy (gross)", "buy_and_hold": "buy & hold"}
    period = summary["period"]
    lines = [
        f"Backtest {period['start']} .. {period['end']} ({period['days']} days, costs {period['cost_bps']} bp)",
        f"{'':<22}" + "".join(f"{title:>18}" for title in columns.values()),
    ]
    for name, metric in METRICS.items():
        values = "".join(f"{summary[key][name]:>18.4f}" for key in columns)
        lines.append(f"{metric.title:<22}{values}")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else "metrics/backtest.json"
    with open(path) as handle:
        print(format_summary(json.load(handle)))
