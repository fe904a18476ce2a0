"""The app: chart builders, the signal and live scoring on artifacts built here, and its API via gradio_client."""

from __future__ import annotations

import datetime as dt
import json
import logging

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polars as pl
import pytest

from spyglass.app import charts
from spyglass.app.main import COMPONENTS, DEFAULT_HISTORY, metrics_table, page_contents, shielded, signal_markdown
from spyglass.app.scoring import EMPTY_STATE, latest_signal, live_score, load_artifacts
from spyglass.app.summary import key_levels_markdown
from spyglass.strategy.allocation import SizingPlan, allocation_for_day, get_allocations

BY_STRIKE = pd.DataFrame(
    {
        "strike": [95.0, 100.0, 105.0],
        "call_gex_usd_per_pct": [1.0, 2.0, 3.0],
        "put_gex_usd_per_pct": [-3.0, -2.0, -1.0],
        "gex_usd_per_pct": [-2.0, 0.0, 2.0],
    }
)


def annotation_texts(fig: go.Figure) -> list[str]:
    return [annotation.text for annotation in fig.layout.annotations]


def test_allocation_chart_has_both_series_and_a_log_price_axis(synthetic_market):
    prices = synthetic_market.prices
    allocations = pd.DataFrame({"date": prices["date"].iloc[-50:], "allocation": np.linspace(0, 2, 50)})
    fig = charts.allocation_with_price(allocations, prices)
    allocation, price = fig.data
    assert allocation.name == "allocation" and len(allocation.x) == 50 and allocation.y[-1] == 2.0
    assert price.name == "price" and len(price.x) == 50 and price.yaxis == "y2"  # the price from the first allocation
    assert fig.layout.yaxis2.type == "log"
    assert fig.layout.width is None  # fills the page's column at any width


def test_gamma_chart_marks_spot_flip_and_walls_and_skips_a_missing_flip():
    fig = charts.gamma_by_strike(BY_STRIKE, 100.0, 99.5, 105.0, 95.0)
    assert [trace.name for trace in fig.data] == ["calls", "puts", "net"]
    assert annotation_texts(fig) == ["spot 100", "gamma flip 100", "call wall 105", "put wall 95"]
    assert [shape.x0 for shape in fig.layout.shapes] == [100.0, 99.5, 105.0, 95.0]
    assert len({annotation.y for annotation in fig.layout.annotations}) == 4  # labels of close levels do not overlap
    no_flip = charts.gamma_by_strike(BY_STRIKE, 100.0, float("nan"), None, 95.0)
    assert annotation_texts(no_flip) == ["spot 100", "put wall 95"]


def test_options_charts_show_their_data():
    expiries = ["2024-01-19"] * 4 + ["2024-02-16"] * 2 + ["2024-06-21"] * 2
    chain = pd.DataFrame(
        {
            "snapshot_date": pd.Timestamp("2024-01-02"),
            "expiry": pd.to_datetime(expiries),
            "option_type": ["call", "call", "put", "put", "call", "put", "call", "put"],
            "strike": [105.0, 100.0, 95.0, 100.0, 105.0, 95.0, 110.0, 90.0],
            "iv": [0.18, 0.2, 0.25, 0.21, 0.22, 0.26, 0.2, 0.3],
            "underlying_price": 100.0,
            "forward": 100.5,
        }
    )
    smiles = charts.smiles(chain, pd.Timestamp("2024-02-16"))
    lines = {trace.name: (list(trace.x), trace.line.width) for trace in smiles.data}
    # out of the money only (puts below the forward, calls above), the chosen expiry bold
    assert lines == {"2024-01-19 (17 d)": ([95.0, 100.0, 105.0], 1.2), "2024-02-16 (45 d)": ([95.0, 105.0], 3),
                     "2024-06-21 (171 d)": ([90.0, 110.0], 1.2)}  # fmt: skip
    assert annotation_texts(smiles) == ["spot 100"] and "bold: 2024-02-16" in smiles.layout.title.text
    term = charts.term_structure(pd.DataFrame({"days_to_expiry": [30.0, 91.0], "iv_atm": [0.2, 0.22]}), 91.0)
    assert list(term.data[0].y) == [0.2, 0.22] and list(term.data[1].x) == [91.0]  # the chosen expiry marked
    profile = pd.DataFrame({"spot_level": [90.0, 100.0, 110.0], "gex_usd_per_pct": [-1.0, 0.5, 2.0]})
    assert list(charts.gamma_profile(profile, 100.0).data[0].y) == [-1.0, 0.5, 2.0]
    by_expiry = pd.DataFrame({"expiry": pd.to_datetime(["2024-01-19", "2024-02-16"]), "days_to_expiry": [17, 45],
                              "gex_usd_per_pct": [2e9, -1e9]})  # fmt: skip
    bars = charts.gex_by_expiry(by_expiry, pd.Timestamp("2024-02-16")).data[0]
    assert list(bars.y) == [2.0, -1.0] and list(bars.marker.line.width) == [0, 2.5]  # bn USD; the chosen outlined
    assert bars.marker.color[0] != bars.marker.color[1]  # long gamma and short gamma in their own colours


def test_key_levels_say_what_the_numbers_stand_on():
    row = {"date": "2022-12-12", "spot": 4000.0, "gex_usd_per_pct": -1.2e9, "gamma_flip": 4040.0,
           "gamma_flip_crossings": 3, "call_wall": 4100.0, "call_wall_overall": 4200.0, "put_wall": 3900.0,
           "put_wall_overall": 3900.0, "oi_share_quote": 0.25, "oi_share_smile": 0.70, "oi_share_provider": 0.04,
           "pcr_volume": 1.4, "pcr_oi": 1.7}  # fmt: skip
    text = key_levels_markdown(row, None, 0.15)
    assert "gamma flip: **4,040.00** (+1.0% from spot); the nearest to spot of **3** crossings within ±15%" in text
    assert "call wall (largest call gamma strike at or above spot): **4,100.00**" in text
    assert "largest call gamma strike overall **4,200.00** (+5.0%)" in text
    assert "put wall (largest put gamma strike at or below spot): **3,900.00** (-2.5% from spot)\n" in text
    assert "largest put gamma strike overall" not in text  # the same strike: said once
    coverage = "open interest valued at: own quote **25.0%**, smile **70.0%**, provider's IV **4.0%**, unpriced 1.0%"
    assert coverage in text
    one_crossing = key_levels_markdown({**row, "gamma_flip_crossings": 1}, None, 0.15)
    assert "crossings" not in one_crossing
    assert "valued at" not in key_levels_markdown({k: v for k, v in row.items() if not k.startswith("oi_")}, None, 0.15)


def test_levels_over_time_show_spot_flip_walls_and_gamma_with_the_chosen_day():
    dates = pd.bdate_range("2024-01-01", periods=4)
    features = pd.DataFrame({"date": dates, "spot": [100.0, 101, 99, 98], "gamma_flip": [99.0, 99, 100, 101],
                             "call_wall": 105.0, "put_wall": 95.0,
                             "gex_usd_per_pct": [1e9, 5e8, -2e8, -1e9]})  # fmt: skip
    fig = charts.levels_over_time(features, dates[2])
    assert [trace.name for trace in fig.data] == [
        "spot",
        "gamma flip",
        "call wall",
        "put wall",
        "long gamma",
        "short gamma",
    ]
    long, short = fig.data[-2:]  # bn USD per 1 % move, in their own panel: long gamma up, short gamma down
    assert list(long.y) == [1.0, 0.5, 0.0, 0.0] and list(short.y) == [0.0, 0.0, -0.2, -1.0]
    assert long.yaxis == short.yaxis == "y2" and long.line.color != short.line.color
    chosen = [shape for shape in fig.layout.shapes if shape.name == charts.CHOSEN_DAY]
    assert len(chosen) == 2 and {shape.x0 for shape in chosen} == {"2024-01-03"}  # both panels


def test_time_series_charts_plot_the_columns_they_are_given():
    dates = pd.bdate_range("2024-01-01", periods=5)
    features = pd.DataFrame({"date": dates, "pcr_oi": [1.0, 1.1, 1.2, 1.1, 1.0], "iv_atm_30d": 0.2})
    history = charts.feature_history(features, ["pcr_oi", "not_a_feature", "iv_atm_30d"], "history", day=dates[1])
    assert [trace.name for trace in history.data] == ["put/call ratio, open interest", "ATM implied vol, 30 days"]
    assert [trace.yaxis for trace in history.data] == ["y", "y2"]  # each in its own panel, with its own scale
    assert history.layout.xaxis.rangeselector.buttons and history.layout.xaxis.hoverformat == "%Y-%m-%d"
    assert [shape.x0 for shape in history.layout.shapes if shape.name == charts.CHOSEN_DAY] == ["2024-01-02"] * 2
    together = charts.feature_history(features, ["pcr_oi", "iv_atm_30d"], "ratios", one_axis=True)
    assert [trace.yaxis for trace in together.data] == ["y", "y"]
    daily = pd.DataFrame({"date": dates, "equity": 1.0, "benchmark_equity": 1.1, "vol_target_equity": 1.2,
                          "drawdown": [0.0, -0.1, -0.2, -0.05, 0.0]})  # fmt: skip
    equity = charts.equity_curves(daily)
    assert [trace.name for trace in equity.data] == ["strategy", "vol target", "buy & hold"]
    assert equity.layout.yaxis.type == "log"
    assert list(charts.drawdown(daily).data[0].y) == [0.0, -0.1, -0.2, -0.05, 0.0]


def test_a_failing_handler_leaves_outputs_and_says_what_failed_without_a_traceback(caplog):
    @shielded("Loading the snapshot", 3)
    def broken(_: str) -> tuple:
        raise OSError("partition unreadable")

    with caplog.at_level(logging.ERROR):
        first, second, status = broken("2024-01-19")
    assert first == second == {"__type__": "update"}  # gr.update(): the charts on screen stay as they are
    assert status == "⚠️ Loading the snapshot failed: partition unreadable"
    assert "Traceback" in caplog.text  # the traceback goes to the server log instead


def test_metrics_table_has_every_metric_and_series(artifacts_root, small_cfg):
    table = metrics_table(load_artifacts(small_cfg["paths"], artifacts_root).metrics)
    assert table.columns[0] == "metric" and "buy & hold" in table.columns and "strategy (net)" in table.columns
    from spyglass.backtest.metrics import METRICS

    assert len(table) == len(METRICS)
    row = table.set_index("metric").loc
    assert row["CAGR", "strategy (net)"].endswith("%") and row["Sharpe ratio", "buy & hold"].count(".") == 1
    assert row["Break-even cost (bp per unit turnover)", "buy & hold"].endswith(" bp")
    assert row["Longest drawdown (days)", "strategy (net)"].endswith(" days")


def test_signal_and_empty_state(artifacts_root, small_cfg, tmp_path):
    signal = latest_signal(load_artifacts(small_cfg["paths"], artifacts_root))
    assert signal["date"] == "2014-12-31" and 0 <= signal["allocation"] <= 2
    assert "allocation **" in signal_markdown(signal)
    assert set(signal["models"]) == {"ridge", "elasticnet", "xgboost", "lightgbm"}
    assert signal["horizon_days"] == 5 and "over the next 5 trading days" in signal_markdown(signal)
    # the first screen's first line: does the model beat plain vol targeting, by how much, with the interval
    first = signal_markdown(signal).splitlines()[0]
    assert first.startswith("**The model (5d technical+index+chain vol_tilt) against plain vol targeting: ")
    assert "net Sharpe (90% interval; SPA p " in first
    assert "volatility indices: model-free, computed from the simulated chains" in signal_markdown(signal)
    assert all(len(fingerprint) == 10 for fingerprint in signal["models"].values())
    assert "scikit-learn" in signal["versions"] and "scikit-learn" in signal_markdown(signal)
    empty = latest_signal(load_artifacts(small_cfg["paths"], tmp_path))
    assert empty == {"message": EMPTY_STATE} and "make run" in signal_markdown(empty)


def test_a_new_days_allocation_is_the_pipelines_own_last_row(synthetic_market, small_cfg, small_run):
    """Sizing a day from the walk-forward record plus that day's prediction is get_allocations itself: for a day
    the pipeline already sized, with the same prediction, every column is identical."""
    allocations, cfg = small_run.allocations, {**small_cfg["allocation"], "smoothing_halflife": 3}
    plan = SizingPlan("kelly", 5, "daily")
    pipeline = get_allocations(small_run.meta.oof, synthetic_market.prices, cfg, plan).iloc[-1]
    prices = synthetic_market.prices
    day = allocation_for_day(allocations, pipeline["date"], pipeline["prediction"], prices, cfg, plan)
    pd.testing.assert_series_equal(day, pipeline, check_names=False)
    bolder = allocation_for_day(allocations, pipeline["date"], 2 * pipeline["prediction"], prices, cfg, plan)
    variance = bolder["vol_estimate"] ** 2 / 252  # Kelly on the daily excess return, the 5-day forecast / 5
    assert bolder["allocation_raw"] == pytest.approx(cfg["kelly_fraction"] * 2 * pipeline["prediction"] / 5 / variance)


def test_live_scoring_offline_and_a_failed_refresh(artifacts_root, small_cfg):
    result = live_score(small_cfg, artifacts_root)
    assert result["date"] == "2014-12-31" and "data=synthetic" in result["source"]
    assert set(result["base_predictions"]) == {"ridge", "elasticnet", "xgboost", "lightgbm"}
    failed = live_score({**small_cfg, "data": {**small_cfg["data"], "source": "csv"}}, artifacts_root)
    assert failed["message"].startswith("Refresh failed (csv): data=csv needs data.prices_path")


def test_the_app_api_through_gradio_client(app_url, artifacts_root, small_cfg):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    signal, levels, why, contributions, allocation, status = client.predict(api_name="/refresh")
    assert "2014-12-31" in signal and "Scored 2014-12-31" in status
    assert "net dealer gamma" in levels and "re-score with the final models" in why
    assert contributions["type"] == allocation["type"] == "plotly"
    assert "re-scored" in [trace["name"] for trace in json.loads(allocation["plot"])["data"]]
    dates = sorted(p.name for p in (artifacts_root / small_cfg["paths"]["options_store"]).iterdir())
    box, expiry, *plots, options_status = client.predict(dates[-1].removeprefix("snapshot_date="), api_name="/options")
    assert box["value"] == dates[-1].removeprefix("snapshot_date=")
    assert len(plots) == 5 and all(plot is not None for plot in plots)
    assert all(plot["type"] == "plotly" for plot in plots)
    month_out = min((choice for choice, _ in expiry["choices"]),
                    key=lambda e: abs((pd.Timestamp(e) - pd.Timestamp(box["value"])).days - 30))  # fmt: skip
    assert expiry["value"] == month_out  # the dropdown moves to the snapshot's expiry nearest a month out
    store = artifacts_root / small_cfg["paths"]["options_store"]
    listed = pl.read_parquet(store / dates[-1] / "chain.parquet")["expiry"].n_unique()
    assert len(expiry["choices"]) == listed
    assert options_status.startswith(f"Snapshot {dates[-1].removeprefix('snapshot_date=')}: spot ")
    first = dates[0].removeprefix("snapshot_date=")
    box, *_, missing = client.predict("1999-01-04", api_name="/options")  # before the store's first snapshot
    assert box["value"] == first and missing.startswith(f"No snapshot on 1999-01-04 (not a trading day in the store); "
                                               f"showing the nearest, {first}. Snapshot {first}: spot")  # fmt: skip
    latest = dates[-1].removeprefix("snapshot_date=")
    longest = expiry["choices"][-1][0]
    box, chosen, *_, status = Client(app_url, verbose=False).predict(latest, longest, api_name="/expiry")  # fresh
    assert chosen["value"] == longest and status.endswith(f"expiry {longest}.")
    history, _ = Client(app_url, verbose=False).predict(["pcr_oi", "iv_atm_30d"], latest, api_name="/history")
    names = [trace["name"] for trace in json.loads(history["plot"])["data"]]
    assert names == ["put/call ratio, open interest", "ATM implied vol, 30 days"]
    box, *_, hostile = client.predict("<img src=x onerror=alert(1)>", api_name="/options")
    assert box["value"] == dates[-1].removeprefix("snapshot_date=") and "<img" not in hostile
    assert hostile.startswith("‘&lt;img src=x onerror=alert(1)&gt;’ is not a date (YYYY-MM-DD)")


def test_page_contents_fill_every_component_and_hide_what_has_no_artifacts(artifacts_root, small_cfg, tmp_path):
    store = artifacts_root / small_cfg["paths"]["options_store"]
    today = dt.date(2015, 1, 5)
    full = page_contents(load_artifacts(small_cfg["paths"], artifacts_root), store, small_cfg, today)
    assert tuple(full) == COMPONENTS
    assert all(full[name]["visible"] for name in ("allocation", "pcr", "history", "equity", "drawdown", "metrics"))
    assert not full["options_empty"]["visible"] and not full["backtest_empty"]["visible"]
    assert full["snapshot"]["value"] == full["snapshot"]["choices"][0] == "2014-12-31"
    assert full["picked"]["value"] == DEFAULT_HISTORY
    assert "signal as of **2014-12-31** (5 days before today, 2015-01-05)" in full["provenance"]
    assert "Simulated options" in full["provenance"] and "net dealer gamma" in full["levels"]
    assert "Why the position is" in full["why"] and "walk-forward record |" in full["why"]
    bars = full["contributions"]["value"].data[0]
    assert full["contributions"]["visible"] and 1 <= len(bars.y) <= 12 and "_" not in "".join(bars.y)  # readable
    empty = page_contents(load_artifacts(small_cfg["paths"], tmp_path), tmp_path / "no-store", small_cfg, today)
    assert not any(empty[name]["visible"] for name in ("allocation", "contributions", "pcr", "history", "equity"))
    assert empty["options_empty"]["visible"] and empty["backtest_empty"]["visible"]
    assert "make run" in empty["signal"] and empty["snapshot"]["choices"] == []


def test_the_journal_tab_lists_the_recorded_signals_and_the_forward_record(artifacts_root, small_cfg, tmp_path):
    import shutil

    from spyglass.daily import run_daily
    from spyglass.journal import empty_journal, record_day, write_journal

    root = shutil.copytree(artifacts_root, tmp_path / "repo")
    store, today = root / small_cfg["paths"]["options_store"], dt.date(2015, 1, 5)
    before = page_contents(load_artifacts(small_cfg["paths"], root), store, small_cfg, today)
    assert "run `make daily`" in before["journal_record"] and not before["journal_table"]["visible"]

    after_close = pd.Timestamp("2014-12-31 22:00", tz="UTC")
    row = run_daily(small_cfg, root, after_close).row
    journal, _ = record_day(empty_journal(), row | {"as_of": pd.Timestamp("2014-12-30")}, after_close)
    journal, _ = record_day(journal, row | {"as_of": pd.Timestamp("2014-12-29")}, after_close)
    (root / small_cfg["paths"]["journal"]).unlink()
    write_journal(journal, root / small_cfg["paths"]["journal"])
    run_daily(small_cfg, root, after_close)  # fills the two earlier days' outcomes
    shown = page_contents(load_artifacts(small_cfg["paths"], root), store, small_cfg, today)
    table = shown["journal_table"]["value"]
    assert table["as of"].tolist() == ["2014-12-31", "2014-12-30", "2014-12-29"]  # newest first
    assert table["realised return"].iloc[0] == "" and table["realised return"].iloc[2].endswith(" %")
    record = shown["journal_record"]
    assert record.startswith("#### Forward record: 3 day(s) recorded, 2 realised")
    assert "- journal's positions: CAGR" in record and "- buy & hold, same days: CAGR" in record
    assert "- backtest strategy" in record

    (root / small_cfg["paths"]["journal"]).write_bytes(b"not a journal")
    damaged = page_contents(load_artifacts(small_cfg["paths"], root), store, small_cfg, today)
    assert damaged["journal_record"].startswith("⚠️ the signal journal") and "is damaged" in damaged["journal_record"]


def test_concurrent_refreshes_share_one_computation_within_the_ttl():
    import threading
    import time

    from spyglass.app.scoring import SharedResult

    now = [0.0]
    shared, calls = SharedResult(60.0, clock=lambda: now[0]), []

    def compute():
        calls.append(1)
        time.sleep(0.2)  # the others arrive while this runs
        return "scored"

    results = []
    threads = [threading.Thread(target=lambda: results.append(shared.get("day", compute))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and [value for value, _ in results] == ["scored"] * 8
    now[0] = 59.0
    assert shared.get("day", compute) == ("scored", 59.0) and len(calls) == 1  # reused, and its age said
    now[0] = 61.0
    assert shared.get("day", compute) == ("scored", 0.0) and len(calls) == 2  # too old: computed again
    assert shared.get("new models", compute)[1] == 0.0 and len(calls) == 3  # another key is other data

    def failing():
        raise ConnectionError("no network")

    with pytest.raises(ConnectionError):
        SharedResult(60.0).get("day", failing)
    retry = SharedResult(60.0)
    with pytest.raises(ConnectionError):
        retry.get("day", failing)
    assert retry.get("day", lambda: "later")[0] == "later"  # a failure is not kept


def test_refresh_presses_within_the_ttl_share_one_fetch(sharing_app_url, monkeypatch):
    from gradio_client import Client

    import spyglass.app.main as app_main

    calls = []
    real = app_main.live_score
    monkeypatch.setattr(app_main, "live_score", lambda *args: calls.append(1) or real(*args))
    statuses = [Client(sharing_app_url, verbose=False).predict(api_name="/refresh")[-1] for _ in range(3)]
    assert len(calls) == 1  # three sessions, one fetch
    assert statuses[0].startswith("Scored 2014-12-31") and "reused" not in statuses[0]
    assert all("by another refresh, reused for 60 s" in status for status in statuses[1:])


def test_twenty_concurrent_sessions_refreshing_share_one_fetch_and_memory_stays_bounded(sharing_app_url, monkeypatch):
    """The load `benchmarks/bench_app.py` times (20 clients x 5 refreshes), as behaviour: every press answered,
    one fetch for all of them, and the server's memory (this process) not growing with the presses."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from gradio_client import Client

    import spyglass.app.main as app_main

    def rss_mb() -> float:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    calls = []
    real = app_main.live_score
    monkeypatch.setattr(app_main, "live_score", lambda *args: calls.append(1) or real(*args))
    sessions = [Client(sharing_app_url, verbose=False) for _ in range(20)]

    def press(client: Client) -> list[str]:
        return [client.predict(api_name="/refresh")[-1] for _ in range(5)]

    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(press, sessions))  # a first round: the server's buffers and caches fill
        before = rss_mb()
        statuses = [status for answers in pool.map(press, sessions) for status in answers]
    assert len(statuses) == 100 and all(status.startswith("Scored 2014-12-31") for status in statuses)
    assert len(calls) == 1 + int((time.monotonic() - started) // 60)  # 200 presses, one fetch a minute
    assert rss_mb() - before < 100  # the second round of 100 presses keeps nothing per press
