"""The daily run over a small pipeline's artifacts: one record per day, the pipeline's own sizing, outcomes filled
later, and nothing written when the journal is damaged or the models do not fit the features."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from spyglass.daily import main, run_daily
from spyglass.journal import JournalDamagedError, empty_journal, read_journal, record_day, write_journal
from spyglass.models.registry import FeatureMismatchError
from spyglass.strategy.allocation import get_allocations

AFTER_CLOSE = pd.Timestamp("2014-12-31 22:00", tz="UTC")  # 17:00 in New York on the data's last day


@pytest.fixture()
def root(artifacts_root, tmp_path):
    """A copy of the pipeline's artifacts for this test to write its journal into."""
    return shutil.copytree(artifacts_root, tmp_path / "repo")


def journal_of(root, cfg) -> pd.DataFrame:
    return read_journal(root / cfg["paths"]["journal"])


def test_two_runs_the_same_day_leave_the_first_record(root, small_cfg):
    first = run_daily(small_cfg, root, AFTER_CLOSE)
    second = run_daily(small_cfg, root, AFTER_CLOSE + pd.Timedelta(hours=2))
    assert (first.status, second.status) == ("recorded", "rerun")
    journal = journal_of(root, small_cfg)
    assert len(journal) == 1 and journal["reruns"].iloc[0] == 1
    assert journal["run_time"].iloc[0] == AFTER_CLOSE and journal["allocation"].iloc[0] == first.row["allocation"]
    row = journal.iloc[0]
    assert row["as_of"] == pd.Timestamp("2014-12-31") and row["staleness_days"] == 0
    assert row["source"] == "synthetic" and set(row["feature_tiers"].split(",")) == {"technical", "index", "chain"}
    assert set(json.loads(row["models"])) == {"ridge", "elasticnet", "xgboost", "lightgbm"}
    assert json.loads((root / small_cfg["paths"]["metrics_dir"] / "journal.json").read_text())["days_recorded"] == 1


def test_the_days_position_is_get_allocations_over_the_walk_forward_record(
    root, small_cfg, synthetic_market, small_run
):
    result = run_daily(small_cfg, root, AFTER_CLOSE)
    record = small_run.allocations[["date", "prediction"]]
    day = pd.DataFrame({"date": [pd.Timestamp("2014-12-31")], "prediction": [result.row["prediction"]]})
    plan = small_run.choice.plan(small_cfg["allocation"])  # the weekly tilted vol target of a 5-day forecast
    expected = get_allocations(pd.concat([record[record["date"] < day["date"][0]], day]), synthetic_market.prices,
                               small_cfg["allocation"], plan).iloc[-1]  # fmt: skip
    for column in ("vol_estimate", "allocation_raw", "allocation_clipped", "allocation"):
        assert result.row[column] == pytest.approx(expected[column], rel=1e-12), column


def test_staleness_counts_calendar_days_from_the_as_of_date_in_new_york(root, small_cfg):
    three_days_later = pd.Timestamp("2015-01-04 03:00", tz="UTC")  # still 3 January in New York
    assert run_daily(small_cfg, root, three_days_later).row["staleness_days"] == 3


def test_a_later_run_fills_an_earlier_days_outcome(root, small_cfg, synthetic_market):
    prices = synthetic_market.prices
    earlier = prices["date"].iloc[-2]
    journal, _ = record_day(empty_journal(), run_daily(small_cfg, root, AFTER_CLOSE).row | {"as_of": earlier},
                            AFTER_CLOSE - pd.Timedelta(days=1))  # fmt: skip
    (root / small_cfg["paths"]["journal"]).unlink()
    write_journal(journal, root / small_cfg["paths"]["journal"])
    result = run_daily(small_cfg, root, AFTER_CLOSE)
    journal = journal_of(root, small_cfg)
    close = prices.set_index("date")["adj_close"]
    assert journal["realised_return"].iloc[0] == pytest.approx(close.iloc[-1] / close.iloc[-2] - 1, rel=1e-12)
    assert pd.isna(journal["realised_return"].iloc[1])  # today's outcome is not known yet
    assert result.record["days_recorded"] == 2 and result.record["days_realised"] == 1


def test_a_damaged_journal_stops_the_run_before_anything_is_written(root, small_cfg):
    path = root / small_cfg["paths"]["journal"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a journal")
    with pytest.raises(JournalDamagedError, match=r"is damaged .* left as it is"):
        run_daily(small_cfg, root, AFTER_CLOSE)
    assert path.read_bytes() == b"not a journal" and not (root / "metrics" / "journal.json").exists()


def test_models_that_do_not_fit_todays_features_record_nothing(root, small_cfg):
    manifest_path = root / small_cfg["paths"]["base_dir"] / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps(manifest | {"features": [*manifest["features"], "a_feature_from_elsewhere"]}))
    with pytest.raises(FeatureMismatchError, match=r"missing .*a_feature_from_elsewhere"):
        run_daily(small_cfg, root, AFTER_CLOSE)
    assert not (root / small_cfg["paths"]["journal"]).exists()


def test_the_command_prints_the_signal_and_the_record(root, repo_root, small_cfg, monkeypatch, capsys):
    from conftest import SMALL_OVERRIDES

    shutil.copytree(repo_root / "conf", root / "conf")  # a repository laid out as the pipeline leaves it
    monkeypatch.chdir(root)
    main(SMALL_OVERRIDES)
    main(["--ticker", "SYNTH", *SMALL_OVERRIDES])
    printed = capsys.readouterr().out
    assert "2014-12-31 (synthetic" in printed and "allocation" in printed and "predicted excess return" in printed
    assert "journal: recorded" in printed and "journal: rerun (the first record of this day is kept)" in printed
    assert len(journal_of(root, small_cfg)) == 1


@pytest.fixture()
def live(monkeypatch):
    """The daily run treats the source as live (answering with today's market), so the calendar applies."""
    from spyglass import daily

    monkeypatch.setattr(daily, "answers_today", lambda data_cfg: True)


def test_a_live_run_on_a_holiday_does_nothing_and_says_why(root, small_cfg, live, monkeypatch):
    from spyglass.data import intake

    monkeypatch.setattr(intake, "load_market_data", lambda *a: pytest.fail("a closed day fetched data"))
    result = run_daily(small_cfg, root, pd.Timestamp("2026-11-26 22:00", tz="UTC"))
    assert result.status == "closed" and result.row is None
    assert (
        result.message == "XNYS is closed on Thu 2026-11-26 (holiday: Thanksgiving): nothing fetched, nothing recorded"
    )
    assert not (root / small_cfg["paths"]["journal"]).exists()


def test_before_the_close_a_live_run_refuses_unless_a_partial_day_is_allowed(root, small_cfg, live):
    from spyglass.daily import PartialDayError

    mid_session = pd.Timestamp("2014-12-31 19:30", tz="UTC")  # 14:30 in New York
    with pytest.raises(PartialDayError, match=r"closing 16:00 New York .* it is 14:30 New York: a run before"):
        run_daily(small_cfg, root, mid_session)
    assert not (root / small_cfg["paths"]["journal"]).exists()
    allowed = small_cfg | {"daily": small_cfg["daily"] | {"allow_partial": True}}
    assert run_daily(allowed, root, mid_session).row["flags"] == "partial_day"
    assert journal_of(root, small_cfg)["flags"].tolist() == ["partial_day"]
    assert run_daily(small_cfg, root, AFTER_CLOSE).row["flags"] == ""  # the full day's run is a rerun, noted


@pytest.mark.parametrize("failure", ["ConnectionError", "YFRateLimitError"])
def test_no_network_or_a_rate_limit_is_one_line_and_changes_nothing(root, small_cfg, monkeypatch, tmp_path, failure):
    import yfinance.exceptions

    from spyglass.data import yfinance as source
    from spyglass.data.yahoo import FetchError
    from yahoo_recordings import RecordedYahoo

    error = (
        ConnectionError("no route to host") if failure == "ConnectionError" else yfinance.exceptions.YFRateLimitError()
    )
    run_daily(small_cfg, root, AFTER_CLOSE)  # a journal with a day in it
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    monkeypatch.setattr(source, "YFinanceClient", lambda: RecordedYahoo(history_errors=[error] * 9, expiries=()))
    cfg = compose_yahoo(small_cfg, tmp_path)
    with pytest.raises(FetchError) as raised:
        run_daily(cfg, root, pd.Timestamp("2026-11-24 22:00", tz="UTC"))
    assert "\n" not in str(raised.value) and f"SPY price history: failed after 4 attempt(s): {failure}" in str(
        raised.value
    )
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "archive").exists()


def compose_yahoo(small_cfg: dict, tmp_path) -> dict:
    """small_cfg with the live Yahoo source (no waits between retries) and an empty store and archive of its own."""
    from conftest import REPO_ROOT
    from spyglass.config import compose, select_ticker, to_plain

    data = select_ticker(to_plain(compose(["data=yfinance", "data.retry.base_delay=0.0"], REPO_ROOT / "conf")))["data"]
    paths = small_cfg["paths"] | {"options_store": f"{tmp_path}/options", "snapshot_archive": f"{tmp_path}/archive"}
    return small_cfg | {"data": data, "paths": paths}


def test_a_simulated_source_as_fetched_is_read_back_not_simulated_again(root, small_cfg, monkeypatch):
    from spyglass.config import data_hash
    from spyglass.data import intake
    from spyglass.io import write_json

    loaded = run_daily(small_cfg, root, AFTER_CLOSE).row  # no fetch.json: simulated through the source
    (root / small_cfg["paths"]["journal"]).unlink()
    fetch_json = root / small_cfg["paths"]["metrics_dir"] / "fetch.json"
    write_json({"data_hash": data_hash(small_cfg), "description": "synthetic"}, fetch_json)
    monkeypatch.setattr(intake, "load_market_data", lambda *a: pytest.fail("simulated again"))
    stored = run_daily(small_cfg, root, AFTER_CLOSE).row
    assert stored["as_of"] == loaded["as_of"]
    for column in ("prediction", "pred_xgboost", "vol_estimate", "allocation_raw", "allocation"):
        assert stored[column] == pytest.approx(loaded[column], rel=1e-12), column

    changed = small_cfg | {"seed": small_cfg["seed"] + 1}  # another config: the stored day is not its data
    with pytest.raises(pytest.fail.Exception, match="simulated again"):
        run_daily(changed, root, AFTER_CLOSE + pd.Timedelta(hours=1))


def daily_in_a_process(cfg: dict, root, hours: int) -> str:
    """One daily run in a process of its own (a cron run and a run by hand are separate processes)."""
    return run_daily(cfg, root, AFTER_CLOSE + pd.Timedelta(hours=hours)).status


def test_daily_runs_at_once_take_turns_and_every_run_is_counted(root, small_cfg):
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a fork of a process that ran OpenMP can hang
    with context.Pool(3) as pool:
        for round_number in range(3):  # several rounds: a lost update would show in one of them
            statuses = pool.starmap(daily_in_a_process, [(small_cfg, root, hour) for hour in range(3)])
            journal = journal_of(root, small_cfg)
            expected_reruns = 3 * round_number + 2
            assert len(journal) == 1 and journal["reruns"].iloc[0] == expected_reruns, statuses
            assert sorted(statuses).count("rerun") >= 2


def test_a_run_that_finds_the_writer_lock_held_waits_then_stops_in_one_line_writing_nothing(root, small_cfg):
    from filelock import FileLock

    from spyglass.writer_lock import WriterBusyError

    run_daily(small_cfg, root, AFTER_CLOSE)
    journal_file = root / small_cfg["paths"]["journal"]
    before = journal_file.read_bytes()
    held = FileLock(root / small_cfg["paths"]["writer_lock"])
    busy = (
        r"^another run is writing .*'s snapshot archive, store and journal \(holder unknown\); waited 0.2 s "
        r"\(writer_lock_timeout\) and wrote nothing: run again when it has ended$"
    )
    with held, pytest.raises(WriterBusyError, match=busy):
        run_daily({**small_cfg, "writer_lock_timeout": 0.2}, root, AFTER_CLOSE + pd.Timedelta(hours=1))
    assert journal_file.read_bytes() == before
    assert run_daily(small_cfg, root, AFTER_CLOSE + pd.Timedelta(hours=2)).status == "rerun"  # free again


def test_a_journal_row_dated_after_the_run_is_refused_and_the_journal_left_as_it_is(root, small_cfg):
    run_daily(small_cfg, root, AFTER_CLOSE)
    path = root / small_cfg["paths"]["journal"]
    journal = journal_of(root, small_cfg)
    future = journal.assign(as_of=pd.Timestamp("2099-01-02"))
    write_journal(pd.concat([journal, future], ignore_index=True), path)
    before = path.read_bytes()
    with pytest.raises(JournalDamagedError, match=r"has 1 row\(s\) dated after this run's day 2014-12-31: 2099-01-02"):
        run_daily(small_cfg, root, AFTER_CLOSE + pd.Timedelta(hours=1))
    assert path.read_bytes() == before
