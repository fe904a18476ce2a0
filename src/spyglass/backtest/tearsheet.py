"""A self-contained HTML tearsheet (charts embedded as PNG data, no network needed) and the PNGs themselves."""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from spyglass.backtest.metrics import METRICS
from spyglass.backtest.report import comparison_table, cost_label, rolling_sharpe, summary_table, verdict_lines


def _png(draw) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.4))
    draw(ax)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def render_charts(daily: pd.DataFrame, allocations: pd.DataFrame) -> dict[str, bytes]:
    """PNG bytes of the equity curves (log scale), drawdown, allocation and rolling one-year Sharpe."""
    dates = daily["date"]

    def equity(ax):
        ax.plot(dates, daily["equity"], label="strategy (net)")
        ax.plot(dates, daily["benchmark_equity"], label="buy & hold")
        if "vol_target_equity" in daily:
            ax.plot(dates, daily["vol_target_equity"], label="vol target (net)")
        ax.set_yscale("log")
        ax.set_title("Equity (log scale, starts at 1)")
        ax.legend()

    def drawdown(ax):
        ax.fill_between(dates, daily["drawdown"], 0, color="tab:red", alpha=0.5)
        ax.set_title("Strategy drawdown")

    def allocation(ax):
        ax.plot(allocations["date"], allocations["allocation"], lw=0.8, label="strategy")
        if "allocation_vol_target" in allocations:
            ax.plot(allocations["date"], allocations["allocation_vol_target"], lw=0.8, label="vol target", alpha=0.7)
        ax.set_title("Daily allocation (1 = fully invested)")
        ax.legend()

    def sharpe(ax):
        ax.plot(dates, rolling_sharpe(daily["strategy_return"], daily["risk_free_return"]), label="strategy")
        ax.plot(dates, rolling_sharpe(daily["benchmark_return"], daily["risk_free_return"]), label="buy & hold")
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title("Rolling one-year Sharpe ratio")
        ax.legend()

    charts = {"equity": equity, "drawdown": drawdown, "allocation": allocation, "rolling_sharpe": sharpe}
    return {name: _png(draw) for name, draw in charts.items()}


def comparison_html(record: dict | None) -> str:
    """The candidates' comparison (metrics/ablation.json) as an HTML section; empty without one."""
    if not record:
        return ""
    table = comparison_table(record)
    header = "".join(f"<th>{html.escape(title)}</th>" for title in table.columns)
    chosen = record["choice"]["candidate"]

    def cell(column: str, value: float) -> str:
        return "n/a" if pd.isna(value) else f"{value:.0f}" if column == "features" else f"{value:.3f}"

    rows = "".join(
        f"<tr{' style="font-weight:bold"' if name == chosen else ''}><th>{html.escape(name)}</th>"
        f"{''.join(f'<td>{cell(c, v)}</td>' for c, v in values.items())}</tr>"
        for name, values in table.iterrows()
    )
    skipped = "".join(f"<li>{html.escape(h)} {html.escape(name)}: {html.escape(why)}</li>"
                      for h, sets in record.get("skipped", {}).items() for name, why in sets.items())  # fmt: skip
    scored, pbo, spa = record["scored"], record.get("pbo"), record["spa_pvalue"]
    overfit = f"{pbo['pbo']:.2f} over {pbo['strategies']} candidates" if pbo else "n/a (one candidate)"
    return f"""<h2>Candidates and the rule's choice</h2>
<p>Every horizon × feature set × sizing, walk-forward with the learners' fixed parameters, scored on the same
days, {scored["start"]} to {scored["end"]} ({scored["days"]} days). "vs vol target": net Sharpe minus that of the
same rule without the forecast (same schedule, bounds and costs), with its {record["rule"]["level"]:.0%}
stationary-bootstrap interval. Probability of backtest overfitting: {overfit}; SPA p-value that any candidate
beats its vol target {spa["vol_target"]:.3f}, buy-and-hold {spa["buy_and_hold"]:.3f}.
{html.escape(record["chain_features"])}.</p>
<table><tr><th>Candidate</th>{header}</tr>{rows}</table>{f"<ul>{skipped}</ul>" if skipped else ""}
<p><b>Rule ({"adopted" if record["choice"]["adopted"] else "nothing adopted"}):</b>
{html.escape(record["choice"]["reason"])}.</p>"""


def tearsheet_html(summary: dict, charts: dict[str, bytes], title: str, ablation: dict | None = None) -> str:
    """One HTML page: the verdict, the period, the metrics table (every registered metric, every series), the
    candidates' comparison when there is one, and the charts."""
    table = summary_table(summary)
    header = "".join(f"<th>{html.escape(title)}</th>" for title in table.columns)
    rows = []
    for (metric_title, values), metric in zip(table.iterrows(), METRICS.values(), strict=True):
        cells = "".join(f"<td>{'n/a' if pd.isna(value) else f'{value:.4f}'}</td>" for value in values)
        rows.append(f'<tr><th title="{html.escape(metric.compute.__doc__ or "")}">{metric_title}</th>{cells}</tr>')
    period = summary["period"]
    images = "".join(
        f'<img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for name, png in charts.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1050px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}
th:first-child{{text-align:left}}img{{width:100%;margin:0.5em 0}}</style></head>
<body><h1>{html.escape(title)}</h1>
{"".join(f"<p>{html.escape(line)}</p>" for line in verdict_lines(summary))}
<p>{period["start"]} to {period["end"]}: {period["days"]} trading days; {cost_label(period)}.
Positions decided at the close earn the next day's return; every prediction is out-of-sample
(walk-forward). Hover a metric's name for its formula.</p>
<table><tr><th>Metric</th>{header}</tr>{"".join(rows)}</table>
{comparison_html(ablation)}
{images}
</body></html>
"""
