"""The Gradio app: `make app` serves it on 127.0.0.1:7860 from the last pipeline run's artifacts.

Above the tabs: where the data comes from, how old it is, and a badge when the options are simulated.
Tabs: Signal (latest prediction, vol estimate and allocation, live re-scoring; the key option levels as
numbers), Options (smile, term structure, dealer gamma by strike and against spot, feature history for a chosen
snapshot; a date without a snapshot shows the nearest one, and says so), Backtest (equity, drawdown, metrics),
Journal (the signals `make daily` recorded, their outcomes and the forward record).
Errors become escaped one-line messages on the page; a missing artifact shows how to create it.
"""

from __future__ import annotations

import datetime as dt
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
from spyglass.app.summary import (
    JOURNAL_EMPTY,
    escaped,
    forward_record_markdown,
    journal_table,
    key_levels_markdown,
    plain_message,
    provenance_markdown,
)
from spyglass.app.why import contributions_table, rescored_figures, walk_forward_record, why_markdown
from spyglass.backtest.report import summary_table
from spyglass.data.store import partition_path
from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.live import ScoredDay, score_stored_day
from spyglass.models.explain import explain_saved
from spyglass.options.features import OptionsAnalytics, OptionsFeatureSpec, options_analytics, smile_iv

log = logging.getLogger(__name__)
DEFAULT_HISTORY = ["iv_atm_30d", "iv_atm_90d", "iv_skew_30d"]
PCR_COLUMNS = ["pcr_volume", "pcr_oi"]
HISTORY_TITLE = "Options features over time"
# The components a page load fills (keys of page_contents), in the order of the load event's outputs.
COMPONENTS = ("provenance", "signal", "levels", "why", "contributions", "allocation", "options_empty", "snapshot",
              "pcr", "picked", "history", "equity", "drawdown", "metrics", "backtest_empty", "journal_record",
              "journal_table")  # fmt: skip


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
                return (*[gr.update()] * (n_outputs - 1), f"⚠️ {action} failed: {plain_message(exc)}")

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


def resolve_snapshot(requested: str, choices: list[str]) -> tuple[str, str]:
    """(the stored snapshot to show, a note when it is not the one asked for): the nearest stored date to a
    date without a snapshot, the latest for text that is not a date."""
    if requested in choices:
        return requested, ""
    try:
        day = pd.Timestamp(requested.strip())
    except (ValueError, TypeError):
        return choices[0], f"‘{escaped(requested)}’ is not a date (YYYY-MM-DD); showing the latest snapshot."
    nearest = min(choices, key=lambda choice: (abs(pd.Timestamp(choice) - day), choice))
    return nearest, f"No snapshot on {day:%Y-%m-%d} (not a trading day in the store); showing the nearest, {nearest}."


def snapshot_analytics(cfg: dict, store: Path, snapshot: str) -> OptionsAnalytics:
    """The options analytics (priced chain, exposures, gamma profile) of one stored snapshot."""
    partition = partition_path(store, pd.Timestamp(snapshot))
    if not partition.exists():
        raise LookupError(f"no option snapshot dated {snapshot}")
    rate, q = float(cfg["data"]["risk_free_rate"]), float(cfg["data"]["dividend_yield"])
    spec = OptionsFeatureSpec.from_config(cfg["features"]["options"])
    return options_analytics(pl.read_parquet(partition), rate, q, spec)


def options_views(analytics: OptionsAnalytics, snapshot: str, expiry: str | None, note: str = "") -> tuple:
    """(snapshot box, expiry choices, smile, term structure, gamma by strike, gamma profile, status) for one
    snapshot; the box shows the snapshot drawn."""
    priced = analytics.priced
    expiries = sorted({str(e) for e in priced["expiry"].to_list()})
    expiry = expiry if expiry in expiries else expiries[0]
    row = analytics.features.row(0, named=True)
    spot = row["spot"] if row["spot"] is not None else float(priced["underlying_price"][0])  # nothing priced
    atm = (
        smile_iv(priced.filter(pl.col("iv").is_not_null()), 0.0, "iv_atm")
        .with_columns(days_to_expiry=(pl.col("t_years") * CALENDAR_DAYS_PER_YEAR).round())
        .sort("days_to_expiry")
    )
    return (
        gr.update(value=snapshot),
        gr.update(choices=expiries, value=expiry),
        charts.smile(priced.to_pandas(), pd.Timestamp(expiry).date()),
        charts.term_structure(atm.to_pandas()),
        charts.gamma_by_strike(
            analytics.latest_by_strike.to_pandas(), spot, row["gamma_flip"], row["call_wall"], row["put_wall"]
        ),
        charts.gamma_profile(analytics.latest_profile.to_pandas(), spot),
        (f"{note} " if note else "") + f"Snapshot {snapshot}: spot {spot:,.2f}, {priced.height} priced contracts, "
        f"expiry {pd.Timestamp(expiry).date()}.",
    )


def latest_levels(artifacts: Artifacts, cfg: dict) -> str:
    """The key levels of the latest options features row (with the 30-day model-free index of that day)."""
    features, indices = artifacts.tables["options_features"], artifacts.tables.get("vol_indices")
    row = features.iloc[-1].to_dict() if features is not None and len(features) else None
    vix = None
    if row is not None and indices is not None and "vix_30d" in indices:
        same_day = indices.loc[pd.to_datetime(indices["date"]) == pd.Timestamp(row["date"]), "vix_30d"].dropna()
        vix = float(same_day.iloc[0]) if len(same_day) else None
    return key_levels_markdown(row, vix, float(cfg["features"]["options"]["profile"]["range_pct"]))


def why_views(artifacts: Artifacts, cfg: dict, day: ScoredDay) -> tuple[str, Any]:
    """(the record-versus-re-score table, the contributions chart) for a scored day."""
    paths, root = cfg["paths"], artifacts.root
    explanation = explain_saved(root / paths["base_dir"], root / paths["meta_model"], day.features)
    allocations = artifacts.tables["allocations"]
    record = walk_forward_record(allocations, artifacts.tables.get("base_oof"))
    markdown = why_markdown(record, rescored_figures(day, allocations), explanation, cfg["allocation"],
                            model_info(artifacts)["trained"])  # fmt: skip
    chart = charts.contributions(contributions_table(explanation), explanation.predictions["stack"] * 1e4,
                                 explanation.base_values["stack"] * 1e4, day.date)  # fmt: skip
    return markdown, chart


def journal_markdown(artifacts: Artifacts) -> str:
    """The forward record, why the journal could not be read, or how to start one."""
    if artifacts.journal_problem:
        return f"⚠️ {escaped(artifacts.journal_problem)}"
    return JOURNAL_EMPTY if artifacts.journal is None else forward_record_markdown(artifacts.journal_record)


def page_contents(artifacts: Artifacts, store: Path, cfg: dict, today: dt.date) -> dict[str, Any]:
    """What each component of the page shows for these artifacts (values or gr.update), by component name.

    Computed on every page load, so reloading the page picks up a newer pipeline run; parts without their
    artifacts are hidden and an empty-state line says how to create them. The last day of the pipeline's feature
    tables is re-scored with the final models (no data fetched) to explain its allocation.
    """
    tables = artifacts.tables
    features, backtest, prices = tables["options_features"], tables["backtest"], tables["prices"]
    has_allocation = artifacts.ready and prices is not None
    has_features = features is not None and len(features) > 0
    numeric = [c for c in features.columns if c != "date" and pd.api.types.is_numeric_dtype(features[c])
               ] if has_features else []  # fmt: skip
    picked = [c for c in DEFAULT_HISTORY if c in numeric]
    choices = snapshot_choices(store) if store.exists() else []

    def shown(condition: bool, build: Callable[[], Any]) -> Any:
        return gr.update(value=build() if condition else None, visible=condition)

    signal = latest_signal(artifacts)
    why, explained = ("", None)
    if has_allocation:
        why, explained = why_views(artifacts, cfg, score_stored_day(cfg, artifacts.root))
    return {
        "provenance": provenance_markdown(cfg, signal.get("date"), choices[0] if choices else None, today),
        "signal": signal_markdown(signal),
        "levels": latest_levels(artifacts, cfg),
        "why": why,
        "contributions": gr.update(value=explained, visible=explained is not None),
        "allocation": shown(has_allocation, lambda: charts.allocation_with_price(tables["allocations"], prices)),
        "options_empty": gr.update(visible=not choices),
        "snapshot": gr.update(choices=choices, value=choices[0] if choices else None),
        "pcr": shown(has_features, lambda: charts.feature_history(features, PCR_COLUMNS, "Put/call ratios")),
        "picked": gr.update(choices=numeric, value=picked, visible=has_features),
        "history": shown(has_features, lambda: charts.feature_history(features, picked, HISTORY_TITLE)),
        "equity": shown(backtest is not None, lambda: charts.equity_curves(backtest)),
        "drawdown": shown(backtest is not None, lambda: charts.drawdown(backtest)),
        "metrics": shown(bool(artifacts.metrics), lambda: metrics_table(artifacts.metrics)),
        "backtest_empty": gr.update(visible=not artifacts.metrics),
        "journal_record": journal_markdown(artifacts),
        "journal_table": shown(
            artifacts.journal is not None and len(artifacts.journal) > 0, lambda: journal_table(artifacts.journal)
        ),
    }


def build_app(cfg: dict, root: str | Path = ".") -> gr.Blocks:
    """The Blocks app over the artifacts under `root` (the repo), re-read on every page load."""
    root = Path(root)
    store = root / cfg["paths"]["options_store"]
    current = {"artifacts": load_artifacts(cfg["paths"], root)}  # what the page on screen was built from
    # Priced snapshots, so that switching expiry only redraws; emptied on page load, like the artifacts.
    analytics_of = functools.lru_cache(maxsize=8)(functools.partial(snapshot_analytics, cfg, store))

    @shielded("Loading the results", len(COMPONENTS) + 1)
    def load_page() -> tuple:
        current["artifacts"] = artifacts = load_artifacts(cfg["paths"], root)
        analytics_of.cache_clear()
        contents = page_contents(artifacts, store, cfg, dt.date.today())
        return (*(contents[name] for name in COMPONENTS), "")

    @shielded("Refresh", 6)
    def refresh() -> tuple:
        artifacts = current["artifacts"]
        result = live_score(cfg, root) if artifacts.ready else {"message": EMPTY_STATE}
        if "message" in result:  # keep the last result on screen
            return (*[gr.update()] * 5, f"⚠️ {result['message']}")
        day: ScoredDay = result["scored"]
        why, explained = why_views(artifacts, cfg, day)
        levels = gr.update()
        if day.options_row is not None and len(day.options_row):
            levels = key_levels_markdown(day.options_row.iloc[-1].to_dict(), None,
                                         float(cfg["features"]["options"]["profile"]["range_pct"]))  # fmt: skip
        tables = artifacts.tables
        allocation = charts.allocation_with_price(tables["allocations"], tables["prices"],
                                                  (day.date, day.sizing["allocation"]))  # fmt: skip
        scored = f"Scored {result['date']} with the saved models ({result['seconds']} s)."
        return signal_markdown({**result, **model_info(artifacts)}), levels, why, explained, allocation, scored

    @shielded("Loading the snapshot", 7)
    def show_snapshot(snapshot: str | None, expiry: str | None = None) -> tuple:
        choices = snapshot_choices(store) if store.exists() else []
        if not choices:
            return gr.update(), gr.update(choices=[]), None, None, None, None, "No option snapshots stored."
        shown, note = resolve_snapshot(snapshot or choices[0], choices)
        return options_views(analytics_of(shown), shown, expiry, note)

    @shielded("Drawing the history", 2)
    def show_history(columns: list[str]) -> tuple[Any, str]:
        features = current["artifacts"].tables["options_features"]
        return charts.feature_history(features, columns or [], HISTORY_TITLE), ""

    empty = f"**{EMPTY_STATE}**"
    with gr.Blocks(title="spyglass") as app:
        gr.Markdown(f"# spyglass — {escaped(cfg['data']['ticker'])}")
        provenance = gr.Markdown(elem_id="provenance")
        page_status = gr.Markdown(elem_id="page-status")
        with gr.Tab("Signal", id="signal-tab"):
            with gr.Row():
                signal = gr.Markdown(elem_id="signal")
                levels = gr.Markdown(elem_id="levels")
            button = gr.Button("Refresh data and score the latest day", elem_id="refresh")
            status = gr.Markdown(elem_id="status")
            why = gr.Markdown(elem_id="why")
            contributions = gr.Plot(elem_id="contributions", visible=False)
            allocation = gr.Plot(elem_id="allocation", visible=False)
        with gr.Tab("Options", id="options-tab"):
            options_empty = gr.Markdown(f"{empty} (or the data source has no options)", elem_id="options-empty")
            with gr.Row():
                snapshot = gr.Dropdown(  # any date may be asked for: a page load lists what the store has now
                    [], label="snapshot date", elem_id="snapshot", allow_custom_value=True
                )
                # Custom values allowed: an API call from a fresh session has no choices yet; an unknown expiry
                # draws the snapshot's first.
                expiry = gr.Dropdown([], label="expiry", elem_id="expiry", allow_custom_value=True)
            options_status = gr.Markdown(elem_id="options-status")
            with gr.Row():
                smile_plot, term_plot = gr.Plot(elem_id="smile"), gr.Plot(elem_id="term")
            gex_plot, profile_plot = gr.Plot(elem_id="gex"), gr.Plot(elem_id="profile")
            pcr = gr.Plot(elem_id="pcr", visible=False)
            picked = gr.Dropdown(
                [],
                multiselect=True,
                label="options features to plot",
                elem_id="history-columns",
                allow_custom_value=True,
            )  # unknown names are skipped; a fresh API session has no choices
            history, history_status = gr.Plot(elem_id="history", visible=False), gr.Markdown()
        with gr.Tab("Backtest", id="backtest-tab"):
            equity, drawdown = gr.Plot(elem_id="equity", visible=False), gr.Plot(elem_id="drawdown", visible=False)
            metrics = gr.Dataframe(elem_id="metrics", max_height=1000, interactive=False, visible=False)
            backtest_empty = gr.Markdown(empty, elem_id="backtest-empty")
        with gr.Tab("Journal", id="journal-tab"):
            journal_record = gr.Markdown(elem_id="journal-record")
            journal_rows = gr.Dataframe(elem_id="journal", interactive=False, visible=False)
        components = {
            "provenance": provenance, "signal": signal, "levels": levels, "why": why,
            "contributions": contributions, "allocation": allocation,
            "options_empty": options_empty, "snapshot": snapshot, "pcr": pcr, "picked": picked, "history": history,
            "equity": equity, "drawdown": drawdown, "metrics": metrics, "backtest_empty": backtest_empty,
            "journal_record": journal_record, "journal_table": journal_rows,
        }  # fmt: skip
        snapshot_outputs = [snapshot, expiry, smile_plot, term_plot, gex_plot, profile_plot, options_status]
        app.load(load_page, outputs=[*(components[name] for name in COMPONENTS), page_status]).then(
            lambda d: show_snapshot(d), snapshot, snapshot_outputs
        )
        button.click(refresh, outputs=[signal, levels, why, contributions, allocation, status], api_name="refresh")
        snapshot.input(lambda d: show_snapshot(d), snapshot, snapshot_outputs, api_name="options")
        expiry.input(show_snapshot, [snapshot, expiry], snapshot_outputs, api_name="expiry")
        # .change, not .input: the picker's "clear all" changes the value without an input event.
        picked.change(show_history, picked, [history, history_status], api_name="history")
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
