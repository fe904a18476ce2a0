"""The Gradio app: `make app` serves it on 127.0.0.1:7860 from the last pipeline run's artifacts.

Tabs: Signal (latest prediction, vol estimate and allocation, live re-scoring), Options (smile, term structure,
dealer gamma by strike and against spot, feature history for a chosen snapshot), Backtest (equity, drawdown,
metrics). Errors become messages on the page; a missing artifact shows how to create it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import polars as pl

from spyglass.app import charts
from spyglass.app.scoring import EMPTY_STATE, Artifacts, latest_signal, live_score, load_artifacts
from spyglass.backtest.metrics import METRICS
from spyglass.data.store import partition_path
from spyglass.options.features import OptionsFeatureSpec, options_analytics, smile_iv

log = logging.getLogger(__name__)
RECENT_SNAPSHOTS = 60


def signal_markdown(signal: dict[str, Any]) -> str:
    """The signal as a short Markdown block."""
    if "message" in signal:
        return f"**{signal['message']}**"
    lines = [
        f"### {signal['date']}: allocation **{signal['allocation']:.2f}**",
        f"- predicted excess return for the next day: {signal['prediction'] * 1e4:+.1f} bp",
        f"- volatility estimate: {signal['vol_estimate']:.1%} a year",
        f"- source: {signal['source']}",
    ]
    if "models" in signal:
        lines.append(f"- models: {', '.join(signal['models'])}, trained {signal['trained']}")
    if "seconds" in signal:
        lines.append(f"- refreshed and scored in {signal['seconds']} s")
    return "\n".join(lines)


def metrics_table(metrics: dict[str, Any] | None) -> pd.DataFrame:
    """One row per registered metric, one column per backtested series."""
    if not metrics:
        return pd.DataFrame({"metric": [EMPTY_STATE]})
    series = [key for key in ("strategy", "strategy_gross", "vol_target", "buy_and_hold") if key in metrics]
    return pd.DataFrame(
        [{"metric": m.title, **{key: metrics[key].get(name) for key in series}} for name, m in METRICS.items()]
    )


def snapshot_choices(store: Path) -> list[str]:
    """The most recent snapshot dates in the store, newest first."""
    dates = sorted((p.name.removeprefix("snapshot_date=") for p in store.glob("snapshot_date=*")), reverse=True)
    return dates[:RECENT_SNAPSHOTS]


def options_views(cfg: dict, store: Path, snapshot: str | None, expiry: str | None):
    """(expiry choices, smile, term structure, gamma by strike, gamma profile) for one snapshot date."""
    if not snapshot:
        return gr.update(choices=[]), None, None, None, None
    chain = pl.read_parquet(partition_path(store, pd.Timestamp(snapshot)))
    rate, q = float(cfg["data"]["risk_free_rate"]), float(cfg["data"]["dividend_yield"])
    analytics = options_analytics(chain, rate, q, OptionsFeatureSpec.from_config(cfg["features"]["options"]))
    priced = analytics.priced
    expiries = sorted({str(e) for e in priced["expiry"].to_list()})
    expiry = expiry if expiry in expiries else expiries[0]
    row = analytics.features.row(0, named=True)
    atm = (
        smile_iv(priced.filter(pl.col("iv").is_not_null()), 0.0, "iv_atm")
        .with_columns(days_to_expiry=(pl.col("t_years") * 365).round())
        .sort("days_to_expiry")
    )
    return (
        gr.update(choices=expiries, value=expiry),
        charts.smile(priced.to_pandas(), pd.Timestamp(expiry).date()),
        charts.term_structure(atm.to_pandas()),
        charts.gamma_by_strike(
            analytics.latest_by_strike.to_pandas(), row["spot"], row["gamma_flip"], row["call_wall"], row["put_wall"]
        ),
        charts.gamma_profile(analytics.latest_profile.to_pandas(), row["spot"]),
    )


def build_app(cfg: dict, root: str | Path = ".") -> gr.Blocks:
    """The Blocks app over the artifacts under `root` (the repo)."""
    root = Path(root)
    artifacts: Artifacts = load_artifacts(cfg["paths"], root)
    store = root / cfg["paths"]["options_store"]
    tables = artifacts.tables

    def refresh() -> tuple[Any, str]:
        result = live_score(cfg, root) if artifacts.ready else {"message": EMPTY_STATE}
        if "message" in result:  # keep the last result on screen
            return gr.update(), f"⚠️ {result['message']}"
        return signal_markdown(result), f"Scored {result['date']} with the saved models ({result['seconds']} s)."

    with gr.Blocks(title="spyglass") as app:
        gr.Markdown(f"# spyglass — {cfg['data']['ticker']} ({cfg['data']['source']} data)")
        with gr.Tab("Signal"):
            signal = gr.Markdown(signal_markdown(latest_signal(artifacts)), elem_id="signal")
            button = gr.Button("Refresh data and score the latest day", elem_id="refresh")
            status = gr.Markdown(elem_id="status")
            if artifacts.ready and tables["prices"] is not None:
                gr.Plot(charts.allocation_with_price(tables["allocations"], tables["prices"]), elem_id="allocation")
            button.click(refresh, outputs=[signal, status], api_name="refresh")
        with gr.Tab("Options"):
            choices = snapshot_choices(store) if store.exists() else []
            if not choices:
                gr.Markdown(f"**{EMPTY_STATE}** (or the data source has no options)")
            snapshot = gr.Dropdown(choices, value=choices[0] if choices else None, label="snapshot date")
            expiry = gr.Dropdown([], label="expiry")
            smile_plot, term_plot = gr.Plot(elem_id="smile"), gr.Plot(elem_id="term")
            gex_plot, profile_plot = gr.Plot(elem_id="gex"), gr.Plot(elem_id="profile")
            features = tables["options_features"]
            if features is not None and len(features):
                gr.Plot(charts.feature_history(features, ["pcr_volume", "pcr_oi"], "Put/call ratios"))
                gr.Plot(charts.feature_history(features, ["iv_atm_30d", "iv_atm_90d", "iv_skew_30d"], "Implied vol"))
            outputs = [expiry, smile_plot, term_plot, gex_plot, profile_plot]
            snapshot.change(lambda d: options_views(cfg, store, d, None), snapshot, outputs, api_name="options")
            expiry.change(lambda d, e: options_views(cfg, store, d, e), [snapshot, expiry], outputs)
            app.load(lambda d: options_views(cfg, store, d, None), snapshot, outputs)
        with gr.Tab("Backtest"):
            if tables["backtest"] is not None:
                gr.Plot(charts.equity_curves(tables["backtest"]), elem_id="equity")
                gr.Plot(charts.drawdown(tables["backtest"]), elem_id="drawdown")
            gr.Dataframe(metrics_table(artifacts.metrics), elem_id="metrics")
    return app


def main() -> None:
    """Serve the app for the composed config (params.yaml) on 127.0.0.1:7860."""
    from spyglass.config import load_config, to_plain

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    cfg = to_plain(load_config())
    build_app(cfg).launch(server_name="127.0.0.1", server_port=int(os.environ.get("SPYGLASS_PORT", 7860)),
                          show_error=False)  # fmt: skip


if __name__ == "__main__":
    main()
