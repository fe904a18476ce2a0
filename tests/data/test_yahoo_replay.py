"""Recorded Yahoo answers replay through the live code path, and live answers can be recorded for replay."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from spyglass.data import yfinance as provider
from spyglass.data.yahoo import FetchError
from spyglass.data.yahoo_replay import RecordingClient, ReplayClient, write_history
from spyglass.schemas import OptionChainSchema, validate
from yahoo_recordings import QUOTED, TODAY, RecordedYahoo, history_frame, record_chains, yahoo_history

CFG = {"ticker": "SPY", "start": None, "end": None, "chains": {"horizon_days": 60}, "vol_indices": [],
       "retry": {"attempts": 2, "base_delay": 0.0, "max_delay": 0.0}}  # fmt: skip


def test_a_recorded_live_fetch_replays_to_the_same_data(tmp_path):
    live = provider.load(CFG, 0, client=RecordingClient(RecordedYahoo(), tmp_path), sleep=lambda s: None)
    replayed = provider.load({**CFG, "replay_dir": str(tmp_path)}, 0)
    assert replayed.chains.sort("expiry", "option_type", "strike").equals(
        live.chains.sort("expiry", "option_type", "strike")
    )
    assert replayed.prices.equals(live.prices)
    assert replayed.chains["snapshot_time"].unique().to_list() == [QUOTED]
    assert "replayed from" in replayed.description


def test_every_recorded_day_is_replayed_as_that_days_snapshot(tmp_path, synthetic_market):
    chains = synthetic_market.chains
    days = chains["snapshot_date"].unique().sort()[-3:]
    record_chains(tmp_path, "SPY", chains.filter(pl.col("snapshot_date").is_in(days.implode())), horizon_days=35)
    write_history(tmp_path, "SPY", yahoo_history(synthetic_market.prices))
    market = provider.load({**CFG, "replay_dir": str(tmp_path), "chains": {"horizon_days": 35}}, 0)
    stored = validate(market.chains, OptionChainSchema, "replay")
    assert stored["snapshot_date"].unique().sort().to_list() == days.to_list()
    assert set(market.report["chains"]) == {f"{d}" for d in days}
    original = chains.filter(pl.col("snapshot_date") == days[-1]).filter(
        (pl.col("expiry") - pl.col("snapshot_date")).dt.total_days() <= 35
    )
    replayed = stored.filter(pl.col("snapshot_date") == days[-1])
    columns = ["expiry", "option_type", "strike", "bid", "ask", "open_interest", "underlying_price"]
    key = ["expiry", "option_type", "strike"]
    assert replayed.select(columns).sort(key).equals(original.select(columns).sort(key))


def test_a_replay_answers_history_within_the_asked_window_and_names_what_is_not_recorded(tmp_path):
    write_history(tmp_path, "SPY", history_frame(30))
    client = ReplayClient(tmp_path)
    frame = client.history("SPY", "2026-11-01", None)
    assert frame.index.min().date() >= dt.date(2026, 11, 1) and frame.index.max().date() == TODAY.date()
    with pytest.raises(FetchError, match=r"\^VIX: no recorded history in "):
        client.history("^VIX", None, None)
    with pytest.raises(FileNotFoundError, match="no such replay directory"):
        ReplayClient(tmp_path / "missing")


def test_a_truncated_recording_and_a_stray_folder_are_named(tmp_path, caplog):
    import logging

    root = tmp_path / "rec"
    write_history(root, "SPY", history_frame())
    path = root / "history" / "SPY.parquet"
    path.write_bytes(path.read_bytes()[:100])  # cut short, as a disk full or a killed copy leaves it
    with pytest.raises(FetchError, match=rf"^{path}: the recording cannot be read \(\w+: .*\); record it again"):
        ReplayClient(root).history("SPY", None, None)
    (root / "chains" / "latest" / "SPY").mkdir(parents=True)
    (root / "chains" / "latest" / "SPY" / "answer.json").write_text("{}")
    with caplog.at_level(logging.WARNING):
        assert ReplayClient(root).recorded_days("SPY") == []
    assert "ignoring recording folder(s) that are not a YYYY-MM-DD day" in caplog.text and "latest" in caplog.text
