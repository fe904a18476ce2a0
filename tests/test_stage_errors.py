"""A stage given bad input exits with one clear message and leaves its earlier outputs untouched."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from helpers import good_prices, run_stage_script
from spyglass.io import write_json, write_parquet
from spyglass.strategy.choice import Choice


def run_ta_stage(repo_root, monkeypatch, tmp_path):
    overrides = [f"paths.prices={tmp_path}/prices.parquet", f"paths.ta_features={tmp_path}/ta.parquet"]
    run_stage_script(repo_root, monkeypatch, "ta_features", overrides)


def test_ta_stage_writes_features_then_refuses_bad_prices_keeping_old_output(repo_root, monkeypatch, tmp_path, caplog):
    prices = good_prices(200)
    prices["close"] = prices["adj_close"] = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 200)))
    prices["open"], prices["high"], prices["low"] = prices["close"], prices["close"] * 1.01, prices["close"] * 0.99
    prices["volume"] = np.random.default_rng(1).uniform(1e6, 2e6, 200)
    write_parquet(prices, tmp_path / "prices.parquet")
    run_ta_stage(repo_root, monkeypatch, tmp_path)
    output = tmp_path / "ta.parquet"
    before = output.read_bytes()

    prices.loc[150, "close"] = np.nan
    prices.loc[[160, 161], "date"] = prices.loc[[161, 160], "date"].to_numpy()
    write_parquet(prices, tmp_path / "prices.parquet")
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exit_info:
        run_ta_stage(repo_root, monkeypatch, tmp_path)
    assert exit_info.value.code == 1
    message = caplog.text
    assert "ta_features failed:" in message
    assert f"{tmp_path}/prices.parquet" in message
    assert "column 'close' fails not_nullable: 1 row(s): 150" in message
    assert "dates must be strictly increasing: 1 row(s): 161" in message
    assert output.read_bytes() == before


def run_fetch_stage(repo_root, monkeypatch, tmp_path, client):
    from spyglass.data import yfinance

    monkeypatch.setattr(yfinance, "YFinanceClient", lambda: client)
    run_stage_script(
        repo_root,
        monkeypatch,
        "fetch",
        [
            "data=yfinance",
            "data.retry.base_delay=0.0",
            "checks.min_rows=20",  # the recordings hold 30 bars
            f"paths.prices={tmp_path}/prices.parquet",
            f"paths.options_store={tmp_path}/options",
            f"paths.snapshot_archive={tmp_path}/archive",  # SPY's part of it: archive/SPY
            f"paths.extra_features={tmp_path}/extra.parquet",
            f"paths.vol_indices={tmp_path}/vol_indices.parquet",
            f"paths.data_quality_png={tmp_path}/quality.png",
            f"paths.plots_dir={tmp_path}/plots",
            f"paths.metrics_dir={tmp_path}/metrics",
        ],
    )


def stored_files(tmp_path) -> dict:
    return {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.parquet"))}


def snapshot_dates(directory) -> list[str]:
    from spyglass.data.store import partition_files

    return [p.parent.name for p in partition_files(directory)]


def test_fetch_appends_a_day_and_a_failed_fetch_changes_nothing(repo_root, monkeypatch, tmp_path, caplog):
    from yahoo_recordings import TODAY, RecordedYahoo, history_frame

    yesterday = history_frame(30, end=TODAY - pd.offsets.BDay(1))
    run_fetch_stage(repo_root, monkeypatch, tmp_path, RecordedYahoo(history=yesterday))
    first = stored_files(tmp_path)
    assert len(snapshot_dates(tmp_path / "archive" / "SPY")) == 1
    assert snapshot_dates(tmp_path / "options") == snapshot_dates(tmp_path / "archive" / "SPY")  # the store mirrors it

    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        down = RecordedYahoo(history_errors=[ConnectionError("no route")] * 9, expiries=())
        run_fetch_stage(repo_root, monkeypatch, tmp_path, down)
    assert "fetch failed: SPY price history: failed after 4 attempt(s): ConnectionError: no route" in caplog.text
    assert stored_files(tmp_path) == first

    with pytest.raises(SystemExit):
        run_fetch_stage(repo_root, monkeypatch, tmp_path, RecordedYahoo(expiries=()))
    assert stored_files(tmp_path) == first

    run_fetch_stage(repo_root, monkeypatch, tmp_path, RecordedYahoo(history=history_frame(31)))  # the next day
    after = stored_files(tmp_path)
    assert len(snapshot_dates(tmp_path / "archive" / "SPY")) == 2
    assert snapshot_dates(tmp_path / "options") == snapshot_dates(tmp_path / "archive" / "SPY")
    old_partition = next(p for p in first if "archive/SPY/snapshot_date=" in str(p))
    assert after[old_partition] == first[old_partition]


@pytest.mark.any_date
def test_when_the_bars_fail_the_chains_that_arrived_are_stored_and_nothing_else_changes(
    repo_root, monkeypatch, tmp_path, caplog
):
    from yahoo_recordings import QUOTED, TODAY, RecordedYahoo, history_frame

    run_fetch_stage(repo_root, monkeypatch, tmp_path, RecordedYahoo(history=history_frame(30, end=TODAY)))
    prices_before = (tmp_path / "prices.parquet").read_bytes()
    next_day = RecordedYahoo(history_errors=[ConnectionError("reset")] * 9, quoted=QUOTED + dt.timedelta(days=1))
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        run_fetch_stage(repo_root, monkeypatch, tmp_path, next_day)
    assert "the option chains arrived and were stored" in caplog.text
    dates = snapshot_dates(tmp_path / "archive" / "SPY")  # no bars: filed under the day Yahoo quoted
    assert dates == [f"snapshot_date={day:%Y-%m-%d}" for day in (TODAY, TODAY + pd.Timedelta(days=1))]
    assert len(snapshot_dates(tmp_path / "options")) == 1  # the store is mirrored after a good fetch only
    assert (tmp_path / "prices.parquet").read_bytes() == prices_before


@pytest.mark.parametrize(
    ("stage", "override", "expected"),
    [
        ("fetch", "data=nope", "Could not find 'data/nope' Available options in 'data': cboe csv kaggle sample"),
        ("fetch", "cv.nope=1", "Could not override 'cv.nope'. To append to your config use +cv.nope=1"),
        ("allocate", "allocation.rebalance=hourly", "allocation.rebalance must be one of ['daily', 'weekly', "),
        ("allocate", "allocation.max_position=abc", "allocation.max_position must be a number, not 'abc'"),
        ("allocate", "allocation.min_position=3", "allocation.min_position must be <= allocation.max_position"),
        ("ta_features", "features.technical.groups=[trend,nope]", "unknown technical feature group(s) ['nope']"),
    ],
)  # fmt: skip
def test_a_bad_config_is_one_line_before_anything_is_written(repo_root, monkeypatch, tmp_path, caplog, stage,
                                                             override, expected):  # fmt: skip
    overrides = [override, f"paths.allocations={tmp_path}/a.parquet", f"paths.ta_features={tmp_path}/t.parquet",
                 f"paths.prices={tmp_path}/p.parquet", f"paths.meta_oof={tmp_path}/m.parquet",
                 f"paths.choice={tmp_path}/c.json"]  # fmt: skip
    write_parquet(good_prices(300), tmp_path / "p.parquet")
    write_json(Choice(True, 1, "technical", "vol_tilt", "given").as_dict(), tmp_path / "c.json")
    meta = pd.DataFrame({"date": good_prices(300)["date"], "fold": 0, "target": 0.0, "prediction": 0.001})
    write_parquet(meta, tmp_path / "m.parquet")
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exit_info:
        run_stage_script(repo_root, monkeypatch, stage, overrides)
    assert exit_info.value.code == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and expected in errors[0].getMessage() and "\n" not in errors[0].getMessage()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "m.parquet", "p.parquet"]


def test_a_partial_last_bar_is_dropped_and_the_days_chain_still_filed_under_its_session(
    repo_root, monkeypatch, tmp_path, caplog
):
    from yahoo_recordings import TODAY, RecordedYahoo, history_frame

    forming = history_frame(31)
    forming.iloc[-1, forming.columns.get_loc("Close")] = np.nan  # today's bar, still forming
    with caplog.at_level(logging.WARNING):
        run_fetch_stage(repo_root, monkeypatch, tmp_path, RecordedYahoo(history=forming))
    assert "dropped 1 bar(s) without prices" in caplog.text
    assert snapshot_dates(tmp_path / "archive" / "SPY") == [f"snapshot_date={TODAY:%Y-%m-%d}"]
    assert pd.read_parquet(tmp_path / "prices.parquet")["date"].iloc[-1] < TODAY  # the bar itself is not kept
