"""Backtest summary: metrics for the strategy (with and without costs) and buy-and-hold, and plot tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spyglass.backtest.metrics import METRICS, ReturnSeries, compute_metrics
from spyglass.daycount import TRADING_DAYS_PER_YEAR

SERIES_TITLES = {"strategy": "strategy (net)", "strategy_gross": "strategy (gross)", "vol_target": "vol target (net)",
                 "vol_target_gross": "vol target (gross)", "buy_and_hold": "buy & hold"}  # fmt: skip
TERMINAL_SERIES = ("strategy", "strategy_gross", "vol_target", "buy_and_hold")


def cost_label(period: dict) -> str:
    """'costs 2.0 bp + slippage 0.5 bp per unit of turnover' for a summary's period."""
    return f"costs {period['cost_bps']} bp + slippage {period.get('slippage_bps', 0.0)} bp per unit of turnover"


def backtest_summary(daily: pd.DataFrame, cost_bps: float, n_trials: int = 1, slippage_bps: float = 0.0) -> dict:
    """Nested dict for metrics/backtest.json: strategy, strategy_gross, buy_and_hold, and the period.

    `n_trials` (strategies tried, e.g. Optuna trials) deflates the strategy's Sharpe ratio; `cost_bps` and
    `slippage_bps` are what the daily returns were charged, recorded in the period.
    """
    rf = daily["risk_free_return"].to_numpy()
    market = daily["asset_return"].to_numpy()
    position = daily["position"].to_numpy()
    ones = position * 0 + 1.0

    notes: dict[str, dict[str, str]] = {}

    def summary(returns: str, positions, trials: int = n_trials) -> dict[str, float | None]:
        series = ReturnSeries(daily[returns].to_numpy(), positions, rf, TRADING_DAYS_PER_YEAR, market, trials)
        return compute_metrics(series, notes=notes.setdefault(returns.removesuffix("_return"), {}))

    result = {
        "strategy": summary("strategy_return", position),
        "strategy_gross": summary("strategy_return_gross", position),
        "buy_and_hold": summary("benchmark_return", ones, trials=1),
    }
    if "vol_target_return" in daily:
        target = daily["vol_target_position"].to_numpy()
        result["vol_target"] = summary("vol_target_return", target, trials=1)
        result["vol_target_gross"] = summary("vol_target_return_gross", target, trials=1)
    notes = {series: reasons for series, reasons in notes.items() if reasons}
    return (
        result
        | ({"notes": notes} if notes else {})
        | {
            "period": {
                "start": daily["date"].iloc[0].strftime("%Y-%m-%d"),
                "end": daily["date"].iloc[-1].strftime("%Y-%m-%d"),
                "days": len(daily),
                "cost_bps": cost_bps,
                "slippage_bps": slippage_bps,
            },
        }
    )


def rolling_sharpe(returns: pd.Series, risk_free: pd.Series, window: int = TRADING_DAYS_PER_YEAR) -> pd.Series:
    """Annualised Sharpe ratio of daily excess returns over the trailing `window` days (NaN until full)."""
    excess = returns - risk_free
    return excess.rolling(window).mean() / excess.rolling(window).std() * np.sqrt(TRADING_DAYS_PER_YEAR)


def plot_tables(daily: pd.DataFrame, allocations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """CSV tables for `dvc plots`: equity (strategy vs benchmarks), drawdown, allocation, rolling Sharpe."""
    day = daily["date"].dt.strftime("%Y-%m-%d")
    equity = {"date": day, "strategy": daily["equity"].round(6), "buy_and_hold": daily["benchmark_equity"].round(6)}
    sharpe = {
        "date": day,
        "strategy": rolling_sharpe(daily["strategy_return"], daily["risk_free_return"]).round(6),
        "buy_and_hold": rolling_sharpe(daily["benchmark_return"], daily["risk_free_return"]).round(6),
    }
    if "vol_target_equity" in daily:
        equity["vol_target"] = daily["vol_target_equity"].round(6)
        sharpe["vol_target"] = rolling_sharpe(daily["vol_target_return"], daily["risk_free_return"]).round(6)
    return {
        "equity.csv": pd.DataFrame(equity),
        "rolling_sharpe.csv": pd.DataFrame(sharpe),
        "drawdown.csv": pd.DataFrame({"date": day, "drawdown": daily["drawdown"].round(6)}),
        "allocation.csv": pd.DataFrame(
            {"date": allocations["date"].dt.strftime("%Y-%m-%d"), "allocation": allocations["allocation"].round(6)}
        ),
    }


def summary_table(summary: dict, series: tuple[str, ...] = tuple(SERIES_TITLES)) -> pd.DataFrame:
    """The metrics of backtest_summary as a frame: one row per registered metric (index = its title), one column
    per series present (column = its title); NaN where a metric is undefined."""
    present = [key for key in series if key in summary]
    return pd.DataFrame(
        {SERIES_TITLES[key]: [summary[key][name] for name in METRICS] for key in present},
        index=pd.Index([metric.title for metric in METRICS.values()], name="metric"),
        dtype=float,
    )


COMPARISON_COLUMNS = {"features": "features", "ic": "IC", "ic_t": "IC t (NW)", "sharpe_net": "Sharpe (net)",
                      "difference": "vs vol target", "low": "low", "high": "high", "turnover": "turnover"}  # fmt: skip


def comparison_table(record: dict) -> pd.DataFrame:
    """metrics/ablation.json's candidates as a frame: one row per candidate (horizon, feature set, sizing): its
    features, the stack's IC and Newey-West t on non-overlapping outcomes, net Sharpe, the difference against
    its vol target with the interval, turnover per year."""
    rows = {}
    ordered = sorted(record["candidates"].items(), key=lambda item: (item[1]["horizon_days"], item[0]))
    for name, entry in ordered:
        values = {**entry, **entry["against_vol_target"]}
        rows[name] = {title: values.get(key) for key, title in COMPARISON_COLUMNS.items()}
    return pd.DataFrame.from_dict(rows, orient="index", dtype=float).rename_axis("candidate")


def format_comparison(record: dict) -> str:
    """metrics/ablation.json as a fixed-width table with the scored period, the set's PBO and SPA p-values and
    the rule's choice."""
    scored, pbo, spa = record["scored"], record.get("pbo"), record["spa_pvalue"]
    level = record["rule"]["level"]
    lines = [
        f"Candidates, walk-forward with fixed params, scored {scored['start']} .. {scored['end']} ({scored['days']} "
        f"days); 'vs vol target': net Sharpe minus the same rule's without the forecast, {level:.0%} interval",
        comparison_table(record).to_string(
            formatters={"features": lambda v: f"{v:.0f}"}, float_format=lambda v: f"{v:.3f}", na_rep="n/a"
        ),
        f"probability of backtest overfitting {pbo['pbo']:.2f} ({pbo['strategies']} candidates, CSCV "
        f"{pbo['blocks']} blocks)"
        if pbo
        else "one candidate: no probability of backtest overfitting",
        f"SPA p-value (any candidate beats): its vol target {spa['vol_target']:.3f}, buy-and-hold "
        f"{spa['buy_and_hold']:.3f}; {record['chain_features']}",
    ]
    for horizon, sets in record.get("skipped", {}).items():
        lines += [f"skipped {horizon} {name}: {why}" for name, why in sets.items()]
    choice = record["choice"]
    lines.append(f"rule: {'adopted' if choice['adopted'] else 'nothing adopted'}: {choice['reason']}")
    return "\n".join(lines)


def format_summary(summary: dict) -> str:
    """The metrics of backtest_summary as a fixed-width table: one row per metric, one column per series."""
    table = summary_table(summary, TERMINAL_SERIES)
    period = summary["period"]
    width = max(len(title) for title in table.index) + 2
    lines = [
        *verdict_lines(summary),
        f"Backtest {period['start']} .. {period['end']} ({period['days']} days, {cost_label(period)})",
        f"{'':<{width}}" + "".join(f"{title:>18}" for title in table.columns),
    ]
    for title, row in table.iterrows():
        lines.append(f"{title:<{width}}" + "".join(_cell(value) for value in row))
    for series, reasons in summary.get("notes", {}).items():
        lines += [f"n/a: {series} {METRICS[name].title}: {reason}" for name, reason in reasons.items()]
    return "\n".join(lines)


def verdict_lines(summary: dict) -> list[str]:
    """The verdict of backtest_summary (when there is one): its one-line headline, the differences against both
    benchmarks with their intervals and SPA p-values, and the volatility indices the run used."""
    verdict = summary.get("verdict")
    if not verdict:
        return []
    lines = [verdict["headline"]]
    for name, title in (("vol_target", "vol target"), ("buy_and_hold", "buy & hold")):
        entry = verdict["against"][name]
        lines.append(f"  net Sharpe minus {title}'s: {entry['difference']:+.3f} [{entry['low']:+.3f}, "
                     f"{entry['high']:+.3f}] ({entry['level']:.0%}), SPA p {entry['spa_pvalue']:.3f}")  # fmt: skip
    if verdict.get("pbo") is not None:
        lines.append(f"  probability of backtest overfitting of the candidates: {verdict['pbo']:.2f}")
    if summary.get("indices"):
        lines.append(f"  volatility indices: {summary['indices']}")
    return lines


def _cell(value: float) -> str:
    return f"{'n/a':>18}" if np.isnan(value) else f"{value:>18.4f}"


def print_reports(tickers: list[str]) -> None:
    """The backtest summary and the feature-set comparison of each named portfolio entry (default: all of
    params.yaml's portfolio), from its metrics files."""
    import json

    from spyglass.config import load_config

    cfg = load_config()
    for name in tickers or list(cfg.portfolio):
        metrics_dir = Path(load_config(ticker=name).paths.metrics_dir)
        print(f"== {name} ({cfg.portfolio[name].ticker})")
        print(format_summary(json.loads((metrics_dir / "backtest.json").read_text())))
        if (metrics_dir / "ablation.json").exists():
            print("\n" + format_comparison(json.loads((metrics_dir / "ablation.json").read_text())))


def main(argv: list[str] | None = None) -> None:
    """`spyglass-report [TICKER ...]`: print each ticker's backtest report (every ticker of the portfolio)."""
    import sys

    print_reports(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
