"""A stage given bad input exits with one clear message and leaves its earlier outputs untouched."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from helpers import good_prices
from spyglass.io import write_parquet


def run_ta_stage(repo_root, monkeypatch, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("ta_features_stage", repo_root / "stages" / "ta_features.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(repo_root)
    from spyglass.cli import run_stage

    run_stage(
        module.main,
        [f"paths.prices={tmp_path}/prices.parquet", f"paths.ta_features={tmp_path}/ta.parquet"],
    )


def test_ta_stage_writes_features_then_refuses_bad_prices_keeping_old_output(repo_root, monkeypatch, tmp_path, caplog):
    prices = good_prices(200)
    prices["close"] = prices["adj_close"] = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 200)))
    prices["high"], prices["low"] = prices["close"] * 1.01, prices["close"] * 0.99
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
