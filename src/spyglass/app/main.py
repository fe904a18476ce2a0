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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import polars as pl

from spyglass.app import charts
from spyglass.app.scoring import (
    EMPTY_STATE,
    Artifacts,
    SharedResult,
    latest_signal,
    live_score,
    load_artifacts,
    model_info,
)
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
from spyglass.backtest.metrics import METRICS
from spyglass.backtest.report import summary_table
from spyglass.data.store import partition_path
from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.features.names import readable
from spyglass.live import ScoredDay, score_stored_day
from spyglass.models.explain import explain_saved
from spyglass.options.features import OptionsAnalytics, OptionsFeatureSpec, options_analytics, smile_iv

log = logging.getLogger(__name__)
DEFAULT_HISTORY = ["iv_atm_30d", "iv_atm_90d", "iv_skew_30d"]
PCR_COLUMNS = ["pcr_volume", "pcr_oi"]
HISTORY_TITLE = "Options features over time"
PCR_TITLE = "Put/call ratios"
DEFAULT_DAYS = 30  # the expiry drawn first: the one nearest this many days out
# Snapshots listed in the date box (the last quarter's, newest first); any other date can be typed. The box's
# work before a pick is sent grows with the list: 0.7 s for 20 years' 5,000 entries, 0.15 s for a year's, 0.1 s
# for a quarter's.
LISTED_SNAPSHOTS = 63
# Moves the "chosen day" line of every time series on the Options tab to the snapshot in the box (client side).
MARK_DAY_JS = """(day) => {
  setTimeout(() => document.querySelectorAll(  // after the pick's request has left: it must not wait on this
      '#levels-history .js-plotly-plot, #pcr .js-plotly-plot, #history .js-plotly-plot').forEach((plot) => {
    const update = {};
    (plot.layout.shapes || []).forEach((shape, i) => {
      if (shape.name === 'chosen day') { update[`shapes[${i}].x0`] = day; update[`shapes[${i}].x1`] = day; }
    });
    if (Object.keys(update).length) window.Plotly.relayout(plot, update);  // redraws the lines, not the data
  }), 0);
  return day;
}"""
# What each part of the page fills, by component name: a page load fills the first screen and then the
# explanation; a tab's figures are built when the tab is first opened (so the load ships no hidden charts).
SECTIONS = {
    "first_screen": ("provenance", "signal", "levels", "allocation"),
    "why": ("why", "contributions"),
    "options": ("options_empty", "snapshot", "levels_history", "pcr", "picked", "history"),
    "backtest": ("equity", "drawdown", "metrics", "backtest_empty"),
    "journal": ("journal_record", "journal_table"),
}
COMPONENTS = tuple(name for names in SECTIONS.values() for name in names)


class RefreshFailed(Exception):
    """A refresh that got no data (network down, rate limit, bad file): its message is for the page."""


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
    horizon = int(signal.get("horizon_days", 1))
    over = "the next day" if horizon == 1 else f"the next {horizon} trading days"
    lines = [
        *([f"**{escaped(signal['verdict'])}**", ""] if "verdict" in signal else []),
        f"### {signal['date']}: allocation **{signal['allocation']:.2f}**",
        f"- predicted excess log return over {over}: {signal['prediction'] * 1e4:+.1f} bp",
        f"- volatility estimate: {signal['vol_estimate']:.1%} a year",
        f"- source: {signal['source']}",
    ]
    if "indices" in signal:
        lines.append(f"- volatility indices: {signal['indices']}")
    if "models" in signal:
        models = ", ".join(f"{name} `{fingerprint}`" for name, fingerprint in signal["models"].items())
        libraries = ", ".join(f"{name} {version}" for name, version in signal["versions"].items())
        lines.append(f"- models: {models}; trained on {signal['trained']}")
        lines.append(f"- versions: {libraries}")
    if "seconds" in signal:
        lines.append(f"- refreshed and scored in {signal['seconds']} s")
    return "\n".join(lines)


# How each metric reads best: shares in percent, ratios with two decimals, counts and costs with their unit.
METRIC_FORMATS = {
    "cagr": "{:.2%}", "ann_vol": "{:.1%}", "max_drawdown": "{:.1%}", "hit_rate": "{:.1%}",
    "deflated_sharpe": "{:.1%}", "sharpe": "{:.2f}", "sortino": "{:.2f}", "calmar": "{:.2f}", "hull_score": "{:.3f}",
    "exposure": "{:.2f}", "turnover": "{:.1f}× a year", "max_drawdown_days": "{:,.0f} days",
    "break_even_cost_bps": "{:,.1f} bp",
}  # fmt: skip


def metrics_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """One row per registered metric (first column), one column per backtested series, each value in its unit
    ("n/a" where a metric does not apply)."""
    table = summary_table(metrics)
    formats = [METRIC_FORMATS.get(name, "{:.4g}") for name in METRICS]

    def in_units(column: pd.Series) -> list[str]:
        return ["n/a" if pd.isna(value) else form.format(value) for value, form in zip(column, formats, strict=True)]

    return table.apply(in_units).reset_index()


def snapshot_choices(store: Path) -> list[str]:
    """Every snapshot date in the store, newest first (none before the store exists)."""
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
    """(snapshot box, expiry choices, smiles, term structure, gamma by strike, gamma profile, gamma by expiry,
    status) for one snapshot; the box shows the snapshot drawn, the charts mark the chosen expiry (without one,
    the expiry nearest 30 days)."""
    priced = analytics.priced
    expiries = sorted({str(e) for e in priced["expiry"].to_list()})
    if expiry not in expiries:  # the expiry nearest a month out, the maturity traders quote first
        expiry = min(expiries, key=lambda e: abs((pd.Timestamp(e) - pd.Timestamp(snapshot)).days - DEFAULT_DAYS))
    row = analytics.features.row(0, named=True)
    spot = row["spot"] if row["spot"] is not None else float(priced["underlying_price"][0])  # nothing priced
    atm = (
        smile_iv(priced.filter(pl.col("iv").is_not_null()), 0.0, "iv_atm")
        .with_columns(days_to_expiry=(pl.col("t_years") * CALENDAR_DAYS_PER_YEAR).round())
        .sort("days_to_expiry")
    )
    chosen_days = float((pd.Timestamp(expiry) - pd.Timestamp(snapshot)).days)
    return (
        gr.update(value=snapshot),
        gr.update(choices=expiries, value=expiry),
        charts.smiles(priced.to_pandas(), pd.Timestamp(expiry)),
        charts.term_structure(atm.to_pandas(), chosen_days),
        charts.gamma_by_strike(
            analytics.latest_by_strike.to_pandas(), spot, row["gamma_flip"], row["call_wall"], row["put_wall"]
        ),
        charts.gamma_profile(analytics.latest_profile.to_pandas(), spot),
        charts.gex_by_expiry(analytics.latest_by_expiry.to_pandas(), pd.Timestamp(expiry)),
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
    return levels_markdown(row, vix, cfg)


def levels_markdown(row: dict | None, vix_30d: float | None, cfg: dict) -> str:
    """Key levels of an options features row, "no flip" meaning none within the configured profile range."""
    return key_levels_markdown(row, vix_30d, float(cfg["features"]["options"]["profile"]["range_pct"]))


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


def section_contents(section: str, artifacts: Artifacts, store: Path, cfg: dict, today: dt.date) -> dict[str, Any]:
    """What each component of one section of the page shows for these artifacts (values or gr.update).

    Parts without their artifacts are hidden and an empty-state line says how to create them. The explanation
    re-scores the last day of the pipeline's feature tables with the final models (no data fetched).
    """
    tables = artifacts.tables
    features, backtest, prices = tables["options_features"], tables["backtest"], tables["prices"]
    has_allocation = artifacts.ready and prices is not None
    has_features = features is not None and len(features) > 0

    def shown(condition: bool, build: Callable[[], Any]) -> Any:
        return gr.update(value=build() if condition else None, visible=condition)

    if section == "first_screen":
        signal = latest_signal(artifacts)
        choices = snapshot_choices(store)
        return {
            "provenance": provenance_markdown(cfg, signal.get("date"), choices[0] if choices else None, today),
            "signal": signal_markdown(signal),
            "levels": latest_levels(artifacts, cfg),
            "allocation": shown(has_allocation, lambda: charts.allocation_with_price(tables["allocations"], prices)),
        }
    if section == "why":
        why, explained = why_views(artifacts, cfg, score_stored_day(cfg, artifacts.root)) if has_allocation else (
            "", None)  # fmt: skip
        return {"why": why, "contributions": gr.update(value=explained, visible=explained is not None)}
    if section == "options":
        choices = snapshot_choices(store)
        numeric = [c for c in features.columns if c != "date" and pd.api.types.is_numeric_dtype(features[c])
                   ] if has_features else []  # fmt: skip
        picked = [c for c in DEFAULT_HISTORY if c in numeric]
        latest = choices[0] if choices else None
        return {
            "options_empty": gr.update(visible=not choices),
            "snapshot": gr.update(choices=choices[:LISTED_SNAPSHOTS], value=latest),
            "levels_history": shown(has_features, lambda: charts.levels_over_time(features, latest)),
            "pcr": shown(has_features, lambda: charts.feature_history(features, PCR_COLUMNS, PCR_TITLE, True, latest)),
            "picked": gr.update(choices=[(readable(c), c) for c in numeric], value=picked, visible=has_features),
            "history": shown(has_features, lambda: charts.feature_history(features, picked, HISTORY_TITLE, day=latest)),
        }
    if section == "backtest":
        return {
            "equity": shown(backtest is not None, lambda: charts.equity_curves(backtest)),
            "drawdown": shown(backtest is not None, lambda: charts.drawdown(backtest)),
            "metrics": shown(bool(artifacts.metrics), lambda: metrics_table(artifacts.metrics)),
            "backtest_empty": gr.update(visible=not artifacts.metrics),
        }
    journal = artifacts.journal
    return {
        "journal_record": journal_markdown(artifacts),
        "journal_table": shown(journal is not None and len(journal) > 0, lambda: journal_table(journal)),
    }


def page_contents(artifacts: Artifacts, store: Path, cfg: dict, today: dt.date) -> dict[str, Any]:
    """Every section's contents, by component name (what the page shows once every tab has been opened)."""
    return {name: value for section in SECTIONS
            for name, value in section_contents(section, artifacts, store, cfg, today).items()}  # fmt: skip


def build_app(cfg: dict, root: str | Path = ".") -> gr.Blocks:
    """The Blocks app over the artifacts under `root` (the repo), re-read on every page load."""
    root = Path(root)
    store = root / cfg["paths"]["options_store"]
    current = {"artifacts": load_artifacts(cfg["paths"], root)}  # what the page on screen was built from
    ttl = float(cfg["app"]["refresh_ttl_seconds"])
    shared_refresh = SharedResult(ttl)
    # Priced snapshots, so that switching expiry only redraws; emptied on page load, like the artifacts.
    analytics_of = functools.lru_cache(maxsize=8)(functools.partial(snapshot_analytics, cfg, store))

    def contents(section: str) -> dict[str, Any]:
        return section_contents(section, current["artifacts"], store, cfg, dt.date.today())

    @shielded("Loading the results", len(SECTIONS["first_screen"]) + 1)
    def load_page() -> tuple:
        current["artifacts"] = load_artifacts(cfg["paths"], root)
        analytics_of.cache_clear()
        return (*contents("first_screen").values(), "")

    @shielded("Explaining the allocation", len(SECTIONS["why"]) + 1)
    def load_why() -> tuple:
        return (*contents("why").values(), gr.update())  # the status keeps what the page load said

    def opener(section: str) -> Callable:
        """The handler that fills a tab the first time it is opened in a session (`opened`: the session's set)."""
        n_outputs = len(SECTIONS[section]) + (8 if section == "options" else 0)  # + the drawn charts and date

        @shielded(f"Opening the {section} tab", n_outputs + 2)
        def open_tab(opened: frozenset) -> tuple:
            if section in opened:
                return (*[gr.update()] * (n_outputs + 2),)
            filled = contents(section)
            if section != "options":
                return (*filled.values(), opened | {section}, gr.update())
            box, *views = show_snapshot(None)  # draw the latest snapshot with the tab
            filled["snapshot"] = {**filled["snapshot"], **box}
            return (*filled.values(), *views, box.get("value"), opened | {section}, gr.update())

        return open_tab

    def scored_views(artifacts: Artifacts) -> tuple:
        """Refresh's outputs for the data as the provider has it now; RefreshFailed says why there are none."""
        result = live_score(cfg, root)
        if "message" in result:
            raise RefreshFailed(result["message"])
        day: ScoredDay = result["scored"]
        why, explained = why_views(artifacts, cfg, day)
        levels = gr.update()
        if day.options_row is not None and len(day.options_row):
            levels = levels_markdown(day.options_row.iloc[-1].to_dict(), None, cfg)
        tables = artifacts.tables
        allocation = charts.allocation_with_price(tables["allocations"], tables["prices"],
                                                  (day.date, day.sizing["allocation"]))  # fmt: skip
        signal_text = signal_markdown({**result, **model_info(artifacts)})
        scored = f"Scored {result['date']} with the saved models ({result['seconds']} s"
        return (signal_text, levels, why, explained, allocation), scored

    @shielded("Refresh", 6)
    def refresh() -> tuple:
        artifacts = current["artifacts"]
        if not artifacts.ready:
            return (*[gr.update()] * 5, f"⚠️ {EMPTY_STATE}")
        key = tuple(sorted(artifacts.fingerprints.items()))  # a new pipeline run is new data to score
        try:
            (views, scored), age = shared_refresh.get(key, lambda: scored_views(artifacts))
        except RefreshFailed as failed:  # keep the last result on screen
            return (*[gr.update()] * 5, f"⚠️ {failed}")
        shared = f"; fetched {age:.0f} s ago by another refresh, reused for {ttl:g} s" if age > 0 else ""
        return (*views, f"{scored}{shared}).")

    @shielded("Loading the snapshot", 8)
    def show_snapshot(snapshot: str | None, expiry: str | None = None) -> tuple:
        choices = snapshot_choices(store)
        if not choices:
            return gr.update(), gr.update(choices=[]), None, None, None, None, None, "No option snapshots stored."
        shown, note = resolve_snapshot(snapshot or choices[0], choices)
        return options_views(analytics_of(shown), shown, expiry, note)

    def pick_snapshot(requested: str | None, drawn: str | None) -> tuple:
        """A date in the snapshot box: drawn unless it is the one on screen (the box's value set by a draw
        changes it too); the last output is the date now drawn. One request per pick: Gradio's `input` event
        fires twice for a mouse pick from the list, `change` once, and once for a typed date."""
        if requested == drawn:
            return (*[gr.update()] * len(snapshot_outputs), drawn)
        views = show_snapshot(requested)
        return (*views, views[0].get("value", drawn))

    @shielded("Drawing the history", 2)
    def show_history(columns: list[str], snapshot: str | None = None) -> tuple[Any, str]:
        features = current["artifacts"].tables["options_features"]
        return charts.feature_history(features, columns or [], HISTORY_TITLE, day=snapshot), ""

    empty = f"**{EMPTY_STATE}**"
    with gr.Blocks(title="spyglass") as app:
        gr.Markdown(f"# spyglass — {escaped(cfg['data']['ticker'])}")  # the ticker of `--ticker`
        provenance = gr.Markdown(elem_id="provenance")
        page_status = gr.Markdown(elem_id="page-status")
        opened = gr.State(frozenset())  # the tabs this session has filled
        drawn = gr.State(None)  # the snapshot date this session's options charts show
        with gr.Tab("Signal", id="signal-tab"):
            with gr.Row():
                signal = gr.Markdown(elem_id="signal")
                levels = gr.Markdown(elem_id="levels")
            button = gr.Button("Refresh data and score the latest day", elem_id="refresh")
            status = gr.Markdown(elem_id="status")
            why = gr.Markdown(elem_id="why")
            contributions = gr.Plot(elem_id="contributions", visible=False)
            allocation = gr.Plot(elem_id="allocation", visible=False)
        with gr.Tab("Options", id="options-tab") as options_tab:
            options_empty = gr.Markdown(f"{empty} (or the data source has no options)", elem_id="options-empty")
            with gr.Row():
                snapshot = gr.Dropdown(  # any date may be asked for: a page load lists what the store has now
                    [], label="snapshot date (the last quarter listed; type any date)", elem_id="snapshot",
                    allow_custom_value=True,
                )  # fmt: skip
                # Custom values allowed: an API call from a fresh session has no choices yet; an unknown expiry
                # draws the snapshot's first.
                expiry = gr.Dropdown([], label="expiry", elem_id="expiry", allow_custom_value=True)
            options_status = gr.Markdown(elem_id="options-status")
            with gr.Row():
                smile_plot, term_plot = gr.Plot(elem_id="smile"), gr.Plot(elem_id="term")
            gex_plot, profile_plot = gr.Plot(elem_id="gex"), gr.Plot(elem_id="profile")
            by_expiry_plot = gr.Plot(elem_id="gex-by-expiry")
            levels_history = gr.Plot(elem_id="levels-history", visible=False)
            pcr = gr.Plot(elem_id="pcr", visible=False)
            picked = gr.Dropdown(
                [],
                multiselect=True,
                label="options features to plot",
                elem_id="history-columns",
                allow_custom_value=True,
            )  # unknown names are skipped; a fresh API session has no choices
            history, history_status = gr.Plot(elem_id="history", visible=False), gr.Markdown()
        with gr.Tab("Backtest", id="backtest-tab") as backtest_tab:
            equity, drawdown = gr.Plot(elem_id="equity", visible=False), gr.Plot(elem_id="drawdown", visible=False)
            metrics = gr.Dataframe(elem_id="metrics", max_height=1000, interactive=False, visible=False)
            backtest_empty = gr.Markdown(empty, elem_id="backtest-empty")
        with gr.Tab("Journal", id="journal-tab") as journal_tab:
            journal_record = gr.Markdown(elem_id="journal-record")
            journal_rows = gr.Dataframe(elem_id="journal", interactive=False, visible=False)
        components = {
            "provenance": provenance, "signal": signal, "levels": levels, "why": why,
            "contributions": contributions, "allocation": allocation,
            "options_empty": options_empty, "snapshot": snapshot, "levels_history": levels_history, "pcr": pcr,
            "picked": picked, "history": history,
            "equity": equity, "drawdown": drawdown, "metrics": metrics, "backtest_empty": backtest_empty,
            "journal_record": journal_record, "journal_table": journal_rows,
        }  # fmt: skip
        snapshot_outputs = [snapshot, expiry, smile_plot, term_plot, gex_plot, profile_plot, by_expiry_plot,
                            options_status]  # fmt: skip

        def outputs(section: str) -> list:
            return [components[name] for name in SECTIONS[section]]

        app.load(load_page, outputs=[*outputs("first_screen"), page_status]).then(
            load_why, outputs=[*outputs("why"), page_status]
        )
        for section, tab in (("options", options_tab), ("backtest", backtest_tab), ("journal", journal_tab)):
            charts_drawn = [*snapshot_outputs[1:], drawn] if section == "options" else []
            tab.select(opener(section), opened, [*outputs(section), *charts_drawn, opened, page_status])
        button.click(refresh, outputs=[signal, levels, why, contributions, allocation, status], api_name="refresh",
                     concurrency_limit=int(cfg["app"]["refresh_concurrency"]))  # fmt: skip
        snapshot.change(pick_snapshot, [snapshot, drawn], [*snapshot_outputs, drawn], api_name="options")
        expiry.select(show_snapshot, [snapshot, expiry], snapshot_outputs, api_name="expiry")
        # .change, not .input: the picker's "clear all" changes the value without an input event.
        picked.change(show_history, [picked, snapshot], [history, history_status], api_name="history")
        # The chosen snapshot date moves on the time series in the browser: no figure is sent again.
        snapshot.change(None, snapshot, None, js=MARK_DAY_JS)
    return app


def main() -> None:
    """Serve the app for one ticker of the portfolio (`--ticker NAME`, else the first; params.yaml, or Hydra
    overrides) on 127.0.0.1:7860 (or $SPYGLASS_PORT)."""
    from spyglass.config import load_config, split_tickers, to_plain

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    tickers, overrides = split_tickers(sys.argv[1:])
    cfg = to_plain(load_config(overrides, ticker=tickers[0] if tickers else None))
    build_app(cfg).launch(server_name="127.0.0.1", server_port=int(os.environ.get("SPYGLASS_PORT", 7860)),
                          show_error=False)  # fmt: skip


if __name__ == "__main__":
    main()
