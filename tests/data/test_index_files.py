"""Real volatility-index histories from files: CBOE's own download layout (one index, OHLC, MM/DD/YYYY) or ISO
dates, replacing the indices a simulated source computes from its chains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import SMALL_OVERRIDES
from spyglass.config import compose, select_ticker, to_plain
from spyglass.data import load_market_data
from spyglass.data.files import DataFileError
from spyglass.data.vol_indices import indices_source, read_indices

CBOE = "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/2020,13.46,13.72,12.42,12.47\n01/03/2020,15.01,16.20,13.13,14.02\n"


def test_cboes_download_of_one_index_is_its_close_named_after_the_file(tmp_path):
    path = tmp_path / "VIX_History.csv"
    path.write_text(CBOE)
    table = read_indices(str(path))
    assert list(table.columns) == ["date", "vix_30d"] and table["vix_30d"].tolist() == [12.47, 14.02]
    assert table["date"].tolist() == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")]  # month first


def test_several_files_are_joined_on_the_date_and_an_index_given_twice_is_refused(tmp_path):
    (tmp_path / "VIX_History.csv").write_text(CBOE)
    (tmp_path / "VIX3M_History.csv").write_text("DATE,OPEN,HIGH,LOW,CLOSE\n01/03/2020,16,17,15,16.5\n")
    table = read_indices([str(tmp_path / "VIX_History.csv"), str(tmp_path / "VIX3M_History.csv")])
    assert list(table.columns) == ["date", "vix_30d", "vix_91d"]
    assert np.isnan(table["vix_91d"].iloc[0]) and table["vix_91d"].iloc[1] == 16.5
    (tmp_path / "vix-copy.csv").write_text(CBOE)
    with pytest.raises(DataFileError, match="the index vix_30d is given by more than one file"):
        read_indices([str(tmp_path / "VIX_History.csv"), str(tmp_path / "vix-copy.csv")])


def test_a_one_index_file_whose_name_says_no_index_is_refused_and_a_missing_one_named(tmp_path):
    path = tmp_path / "volatility.csv"
    path.write_text(CBOE)
    with pytest.raises(DataFileError, match=r"volatility.csv: a DATE, OPEN, HIGH, LOW, CLOSE file holds one index"):
        read_indices(str(path))
    with pytest.raises(FileNotFoundError, match=r"nope.csv: not found \(data.indices_path\)"):
        read_indices(str(tmp_path / "nope.csv"))


def test_the_shared_vix_history_reads_as_the_30_day_index(vix_csv):
    table = read_indices(str(vix_csv))
    raw = pd.read_csv(vix_csv)
    assert list(table.columns) == ["date", "vix_30d"] and len(table) == len(raw)
    assert table["date"].iloc[0] == pd.Timestamp("1990-01-02") and table["vix_30d"].iloc[0] == raw["CLOSE"].iloc[0]
    np.testing.assert_allclose(table["vix_30d"], raw["CLOSE"])


def test_a_simulated_source_takes_real_indices_in_place_of_its_own(tmp_path):
    path = tmp_path / "VIX_History.csv"
    days = pd.bdate_range("2010-01-04", "2012-12-31")
    closes = np.linspace(15, 30, len(days))
    pd.DataFrame({"DATE": days.strftime("%m/%d/%Y"), "OPEN": closes, "HIGH": closes, "LOW": closes,
                  "CLOSE": closes}).to_csv(path, index=False)  # fmt: skip
    overrides = [*SMALL_OVERRIDES, "data.end=2012-12-31", f"data.indices_path={path}"]
    cfg = select_ticker(to_plain(compose(overrides, "conf")))
    market = load_market_data(cfg["data"], cfg["seed"])
    assert list(market.vol_indices.columns) == ["date", "vix_30d"]
    np.testing.assert_allclose(market.vol_indices["vix_30d"], closes)
    assert indices_source(cfg["data"]) == f"real histories from {path}" and str(path) in market.description
    assert indices_source({"source": "sample"}).startswith("model-free, computed from the simulated chains")
