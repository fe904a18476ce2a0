"""Stage timings: steps recorded by the I/O helpers, a step inside a step counted once, the report written only
when the stage succeeds, and the table `make run` prints."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from spyglass.io import read_table, write_json, write_parquet
from spyglass.schemas import DatedSchema
from spyglass.stage_clock import StageClock, step
from spyglass.timing import timed_stage, timing_table


def test_the_io_helpers_record_load_validate_and_write_and_the_rest_is_compute(tmp_path, monkeypatch):
    monkeypatch.setenv("SPYGLASS_TIMINGS_DIR", str(tmp_path / "timings"))
    frame = pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=5)})
    with timed_stage("ta_features"):
        write_parquet(frame, tmp_path / "t.parquet")
        read_table(tmp_path / "t.parquet", DatedSchema)  # its validation counts as loading
        with step("fit"):
            time.sleep(0.05)
        time.sleep(0.05)
    report = json.loads((tmp_path / "timings" / "ta_features.json").read_text())
    assert set(report["steps"]) == {"write", "load", "fit", "compute"}
    assert report["steps"]["fit"] >= 0.05 and report["steps"]["compute"] >= 0.05
    assert sum(report["steps"].values()) == pytest.approx(report["run_seconds"], abs=0.005)
    assert report["start_up_seconds"] > 0  # this process started before the stage did


def test_a_nested_step_counts_once_as_the_outer_one():
    clock = StageClock("x")
    with clock.step("load"), clock.step("validate"):
        time.sleep(0.02)
    assert list(clock.steps) == ["load"] and clock.steps["load"] >= 0.02


def test_a_failed_stage_writes_no_timing_and_steps_outside_a_stage_are_not_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("SPYGLASS_TIMINGS_DIR", str(tmp_path))
    with pytest.raises(ValueError), timed_stage("fetch"):
        raise ValueError("bad prices")
    assert not list(tmp_path.iterdir())
    write_json({"a": 1}, tmp_path / "x.json")  # outside a stage: nothing recorded, nothing raised
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_the_table_lists_stages_in_pipeline_order(tmp_path):
    for stage, seconds in (("backtest", 3.0), ("fetch", 70.0)):
        report = {"stage": stage, "recorded": "2026-11-26T06:00:00Z", "start_up_seconds": 2.0,
                  "run_seconds": seconds, "steps": {"compute": seconds}}  # fmt: skip
        (tmp_path / f"{stage}.json").write_text(json.dumps(report))
    lines = timing_table(tmp_path).splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["fetch", "backtest"]
    assert "70.0" in lines[1] and "compute 70.0" in lines[1]
    assert "no stage timings" in timing_table(tmp_path / "none")
