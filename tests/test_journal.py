"""The signal journal: one record per day, reruns counted not rewritten, outcomes filled later, damage refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.errors import DataError
from spyglass.journal import (
    JournalDamagedError,
    empty_journal,
    fill_realised,
    forward_record,
    read_journal,
    record_day,
    write_journal,
)

RUN = pd.Timestamp("2024-03-05 21:30", tz="UTC")


def day(as_of: str, allocation: float, prediction: float = 2e-4) -> dict:
    return {"as_of": as_of, "source": "sample", "ticker": "SPY", "pred_xgboost": prediction, "pred_lightgbm": 1e-4,
            "prediction": prediction, "vol_estimate": 0.15, "allocation_raw": allocation,
            "allocation_clipped": allocation, "allocation": allocation,
            "models": '{"lightgbm": "ab12", "xgboost": "cd34"}', "train_start": "2010-01-04",
            "train_end": "2024-02-29", "config_hash": "f00d", "staleness_days": 0, "feature_tiers": "technical,index",
            "flags": ""}  # fmt: skip


def test_a_day_is_recorded_once_and_a_rerun_is_counted_not_kept():
    journal, status = record_day(empty_journal(), day("2024-03-05", 0.8), RUN)
    assert status == "recorded" and len(journal) == 1 and journal["reruns"].iloc[0] == 0
    later = RUN + pd.Timedelta(hours=1)
    journal, status = record_day(journal, day("2024-03-05", 1.9, prediction=-5e-4), later)
    assert status == "rerun" and len(journal) == 1
    first = journal.iloc[0]
    assert first["allocation"] == 0.8 and first["prediction"] == 2e-4 and first["run_time"] == RUN
    assert first["reruns"] == 1 and first["last_rerun"] == later


def test_days_stay_in_date_order_and_the_file_round_trips(tmp_path):
    journal = empty_journal()
    for as_of in ("2024-03-06", "2024-03-04", "2024-03-05"):
        journal, _ = record_day(journal, day(as_of, 1.0), RUN)
    path = write_journal(journal, tmp_path / "journal" / "signals.parquet")
    back = read_journal(path)
    assert back["as_of"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-04", "2024-03-05", "2024-03-06"]
    pd.testing.assert_frame_equal(back, journal.astype(back.dtypes.to_dict()), check_dtype=False)
    assert len(read_journal(tmp_path / "none.parquet")) == 0


def test_realised_returns_and_pnl_are_filled_once_from_the_next_bar():
    prices = pd.DataFrame({"date": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-06"]),
                           "adj_close": [100.0, 102.0, 100.98]})  # fmt: skip
    journal = empty_journal()
    for as_of, allocation in (("2024-03-04", 0.5), ("2024-03-05", 2.0), ("2024-03-06", 1.0)):
        journal, _ = record_day(journal, day(as_of, allocation), RUN)
    filled = fill_realised(journal, prices, rf_daily=1e-4)
    # +2 % then -1 %: 0.5 x 0.02 + 0.5 x 0.0001; 2 x -0.01 + (1 - 2) x 0.0001 (leverage pays the rate)
    np.testing.assert_allclose(filled["realised_return"].iloc[:2], [0.02, -0.01], rtol=1e-12)
    np.testing.assert_allclose(filled["pnl"].iloc[:2], [0.01005, -0.0201], rtol=1e-12)
    assert np.isnan(filled["realised_return"].iloc[2])  # the next bar has not happened yet
    revised = prices.assign(adj_close=[100.0, 150.0, 100.0])  # a later price revision never rewrites a record
    assert fill_realised(filled, revised, 1e-4)["realised_return"].iloc[0] == pytest.approx(0.02)
    weekend, _ = record_day(empty_journal(), day("2024-03-02", 1.0), RUN)  # a Saturday: no bar to start from
    assert fill_realised(weekend, prices, 1e-4)["realised_return"].isna().all()


def test_the_forward_record_by_hand():
    prices = pd.DataFrame({"date": pd.bdate_range("2024-03-04", periods=4), "adj_close": [100.0, 110.0, 99.0, 99.0]})
    journal = empty_journal()
    for as_of in prices["date"].iloc[:3]:
        journal, _ = record_day(journal, day(str(as_of.date()), 0.5), RUN)
    record = forward_record(fill_realised(journal, prices, 0.0), 0.0)
    assert record["days_recorded"] == 3 and record["days_realised"] == 3
    # half invested: +5 %, -5 %, 0 %; buy-and-hold: +10 %, -10 %, 0 % (hit rate counts days with a gain)
    assert record["journal"]["hit_rate"] == pytest.approx(1 / 2)
    assert record["journal"]["max_drawdown"] == pytest.approx(-0.05)
    assert record["buy_and_hold"]["max_drawdown"] == pytest.approx(-0.1)
    assert forward_record(journal, 0.0)["journal"] is None  # nothing realised yet


def test_a_damaged_journal_is_reported_in_one_line_and_left_alone(tmp_path):
    path = tmp_path / "signals.parquet"
    path.write_bytes(b"PAR1 not really a parquet file")
    with pytest.raises(JournalDamagedError) as error:
        read_journal(path)
    message = str(error.value)
    assert "\n" not in message and f"the signal journal {path} is damaged" in message and "left as it is" in message
    assert path.read_bytes() == b"PAR1 not really a parquet file"
    journal, _ = record_day(empty_journal(), day("2024-03-05", 1.0), RUN)
    with pytest.raises(DataError, match="vol_estimate"):
        write_journal(journal.assign(vol_estimate=-1.0), tmp_path / "bad.parquet")
    assert not (tmp_path / "bad.parquet").exists()
    pd.DataFrame({"as_of": ["2024-03-05"], "allocation": [1.0]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(JournalDamagedError, match="missing column"):
        read_journal(tmp_path / "other.parquet")
