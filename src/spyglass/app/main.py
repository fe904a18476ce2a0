"""The Gradio app: `make app` serves it on 127.0.0.1:7860 from the last pipeline run's artifacts.

Tabs: Signal (latest prediction, vol estimate and allocation, live re-scoring), Options (smile, term structure,
dealer gamma by strike and against spot, feature history for a chosen snapshot), Backtest (equity, drawdown,
metrics). Errors become messages on the page; a missing artifact shows how to create it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import polars as pl

from spyglass.app import charts
from spyglass.app.scoring import EMPTY_STATE, Artifacts, latest_signal, live_score, load_artifacts, model_info
from spyglass.backtest.report import summary_table
from spyglass.data.store import partition_path
from spyglass.options.features import OptionsFeatureSpec, options_analytics, smile_iv

log = logging.getLogger(__name__)
DEFAULT_HISTORY = ["iv_atm_30d", "iv_atm_90d", "iv_skew_30d"]
PCR_COLUMNS = ["pcr_volume", "pcr_oi"]


def shielded(action: str, n_outputs: int) -> Callable:
    """Wrap an event handler whose last output is a status line: an exception leaves the other outputs as they
    are and puts a one-line message in the status (the traceback goes to the server log, never to the page)."""

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def guarded(*args: Any) -> tuple:
            try:
                return handler(*args)
            except Exception as exc:
                log.exception("%s failed", action)
                return (*[gr.update()] * (n_outputs - 1), f"⚠️ {action} failed: {type(exc).__name__}: {exc}")

        return guarded

    return wrap


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
        models = ", ".join(f"{name} `{fingerprint}`" for name, fingerprint in signal["models"].items())
        libraries = ", ".join(f"{name} {version}" for name, version in signal["versions"].items())
        lines.append(f"- models: {models}; trained on {signal['trained']}")
        lines.append(f"- versions: {libraries}")
    if "seconds" in signal:
        lines.append(f"- refreshed and scored in {signal['seconds']} s")
    return "\n".join(lines)


def metrics_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """One row per registered metric (first column), one column per backtested series, 4 decimals."""
    return summary_table(metrics).round(4).reset_index()


def snapshot_choices(store: Path) -> list[str]:
    """Every snapshot date in the store, newest first (the dropdown filters as you type)."""
    return sorted((p.name.removeprefix("snapshot_date=") for p in store.glob("snapshot_date=*")), reverse=True)


def options_views(cfg: dict, store: Path, snapshot: str | None, expiry: str | None) -> tuple:
    """(expiry choices, smile, term structure, gamma by strike, gamma profile, status) for one snapshot date."""
    if not snapshot:
        return gr.update(choices=[]), None, None, None, None, ""
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
        f"Snapshot {snapshot}: spot {row['spot']:,.2f}, {priced.height} priced contracts, "
        f"expiry {pd.Timestamp(expiry).date()}.",
    )


def build_app(cfg: dict, root: str | Path = ".") -> gr.Blocks:
    """The Blocks app over the artifacts under `root` (the repo)."""
    root = Path(root)
    artifacts: Artifacts = load_artifacts(cfg["paths"], root)
    store = root / cfg["paths"]["options_store"]
    tables = artifacts.tables
    features = tables["options_features"]
    has_features = features is not None and len(features) > 0

    @shielded("Refresh", 2)
    def refresh() -> tuple[Any, str]:
        result = live_score(cfg, root) if artifacts.ready else {"message": EMPTY_STATE}
        if "message" in result:  # keep the last result on screen
            return gr.update(), f"⚠️ {result['message']}"
        scored = f"Scored {result['date']} with the saved models ({result['seconds']} s)."
        return signal_markdown({**result, **model_info(artifacts)}), scored

    @shielded("Loading the snapshot", 6)
    def show_snapshot(snapshot: str | None, expiry: str | None = None) -> tuple:
        return options_views(cfg, store, snapshot, expiry)

    @shielded("Drawing the history", 2)
    def show_history(columns: list[str]) -> tuple[Any, str]:
        return charts.feature_history(features, columns or [], "Options features over time"), ""

    with gr.Blocks(title="spyglass") as app:
        gr.Markdown(f"# spyglass — {cfg['data']['ticker']} ({cfg['data']['source']} data)")
        with gr.Tab("Signal", id="signal-tab"):
            signal = gr.Markdown(signal_markdown(latest_signal(artifacts)), elem_id="signal")
            button = gr.Button("Refresh data and score the latest day", elem_id="refresh")
            status = gr.Markdown(elem_id="status")
            if artifacts.ready and tables["prices"] is not None:
                gr.Plot(charts.allocation_with_price(tables["allocations"], tables["prices"]), elem_id="allocation")
            button.click(refresh, outputs=[signal, status], api_name="refresh")
        with gr.Tab("Options", id="options-tab"):
            choices = snapshot_choices(store) if store.exists() else []
            if not choices:
                gr.Markdown(f"**{EMPTY_STATE}** (or the data source has no options)", elem_id="options-empty")
            with gr.Row():
                snapshot = gr.Dropdown(
                    choices, value=choices[0] if choices else None, label="snapshot date", elem_id="snapshot"
                )
                expiry = gr.Dropdown([], label="expiry", elem_id="expiry")
            options_status = gr.Markdown(elem_id="options-status")
            with gr.Row():
                smile_plot, term_plot = gr.Plot(elem_id="smile"), gr.Plot(elem_id="term")
            gex_plot, profile_plot = gr.Plot(elem_id="gex"), gr.Plot(elem_id="profile")
            if has_features:
                gr.Plot(charts.feature_history(features, PCR_COLUMNS, "Put/call ratios"), elem_id="pcr")
                numeric = [c for c in features.columns if c != "date" and pd.api.types.is_numeric_dtype(features[c])]
                picked = gr.Dropdown(numeric, value=[c for c in DEFAULT_HISTORY if c in numeric], multiselect=True,
                                     label="options features to plot", elem_id="history-columns")  # fmt: skip
                history = gr.Plot(charts.feature_history(features, picked.value, "Options features over time"),
                                  elem_id="history")  # fmt: skip
                history_status = gr.Markdown()
                picked.change(show_history, picked, [history, history_status])
            outputs = [expiry, smile_plot, term_plot, gex_plot, profile_plot, options_status]
            snapshot.change(lambda d: show_snapshot(d), snapshot, outputs, api_name="options")
            expiry.input(show_snapshot, [snapshot, expiry], outputs)
            app.load(lambda d: show_snapshot(d), snapshot, outputs)
        with gr.Tab("Backtest", id="backtest-tab"):
            if tables["backtest"] is not None:
                gr.Plot(charts.equity_curves(tables["backtest"]), elem_id="equity")
                gr.Plot(charts.drawdown(tables["backtest"]), elem_id="drawdown")
            if artifacts.metrics:
                gr.Dataframe(metrics_table(artifacts.metrics), elem_id="metrics", max_height=1000, interactive=False)
            else:
                gr.Markdown(f"**{EMPTY_STATE}**", elem_id="backtest-empty")
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
