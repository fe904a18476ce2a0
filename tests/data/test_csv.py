"""The CSV provider reads the user's files in the documented schemas and names the file in every error."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from helpers import good_prices
from spyglass.data import load_market_data
from spyglass.schemas import DataValidationError


@pytest.fixture()
def files(tmp_path, synthetic_market):
    prices = good_prices(30).rename(columns={"adj_close": "Adj Close", "close": "Close"})
    prices_path = tmp_path / "bars.csv"
    prices.to_csv(prices_path, index=False)
    chains_path = tmp_path / "chains.csv"
    synthetic_market.chains.head(200).write_csv(chains_path)
    return prices_path, chains_path


def cfg(prices_path, chains_path, **extra) -> dict:
    paths = {"prices_path": prices_path and str(prices_path), "chains_path": chains_path and str(chains_path)}
    return {"source": "csv", **paths, "start": None,
            "end": None, **extra}  # fmt: skip


def test_reads_both_files_into_the_shared_schemas(files, synthetic_market):
    market = load_market_data(cfg(*files), seed=0)
    assert list(market.prices.columns[:7]) == ["date", "open", "high", "low", "close", "adj_close", "volume"]
    assert market.vol_indices is None  # no index file given
    assert market.chains.height == 200
    assert market.chains["expiry"].dtype == pl.Date
    assert market.chains.equals(synthetic_market.chains.head(200))


def test_window_applies_to_prices(files):
    market = load_market_data(cfg(*files, start="2020-01-10", end="2020-01-20"), seed=0)
    assert market.prices["date"].min().strftime("%Y-%m-%d") == "2020-01-10"
    assert len(market.prices) == 7


def test_bad_prices_name_the_file_column_and_rows(files):
    prices_path, chains_path = files
    text = prices_path.read_text().splitlines()
    fields = text[5].split(",")
    fields[4] = "-3"  # the close of data row 4
    text[5] = ",".join(fields)
    prices_path.write_text("\n".join(text))
    with pytest.raises(
        DataValidationError,
        match=rf"{prices_path}: invalid data\n.*\n  column 'close' fails greater_than\(0\): "
        r"1 line\(s\): 6 \(2020-01-07\) = -3.0",
    ):
        load_market_data(cfg(prices_path, chains_path), seed=0)


def test_bad_chain_names_the_file(files):
    prices_path, chains_path = files
    frame = pl.read_csv(chains_path).with_columns(option_type=pl.lit("C"))
    frame.write_csv(chains_path)
    with pytest.raises(DataValidationError, match=rf"{chains_path}: invalid data\n.*option_type"):
        load_market_data(cfg(prices_path, chains_path), seed=0)


def test_missing_paths_are_explained(files, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data=csv needs data\.prices_path"):
        load_market_data(cfg(None, files[1]), seed=0)
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: not found"):
        load_market_data(cfg(files[0], tmp_path / "nope.csv"), seed=0)


def test_an_index_file_with_cboe_or_spyglass_headers(files, tmp_path):
    path = tmp_path / "indices.csv"
    path.write_text("Date,VIX,^VIX3M,vix_9d,SKEW\n2020-01-02,12.5,14.0,11.0,120.0\n2020-01-03,14.0,15.0,,121.0\n")
    market = load_market_data(cfg(*files, indices_path=str(path)), seed=0)
    indices = market.vol_indices
    assert list(indices.columns) == ["date", "vix_30d", "vix_91d", "vix_9d", "skew"]
    assert indices["vix_30d"].tolist() == [12.5, 14.0] and np.isnan(indices["vix_9d"].iloc[1])


def test_a_bad_index_value_names_the_file_and_row(files, tmp_path):
    path = tmp_path / "indices.csv"
    path.write_text("date,VIX\n2020-01-02,12.5\n2020-01-03,-1\n")
    with pytest.raises(
        DataValidationError, match=r"indices.csv: invalid data\n.*positive.*1 line\(s\): 3 \(2020-01-03\)"
    ):
        load_market_data(cfg(*files, indices_path=str(path)), seed=0)


@pytest.mark.parametrize("written", ["%d/%m/%Y", "%m/%d/%Y"])
def test_dates_written_day_first_or_month_first_are_read_as_written(files, written):
    prices_path, chains_path = files
    bars = good_prices(30)
    bars.assign(date=bars["date"].dt.strftime(written)).to_csv(prices_path, index=False)
    market = load_market_data(cfg(prices_path, chains_path), seed=0)
    assert market.prices["date"].tolist() == bars["date"].tolist()


def test_a_column_mixing_day_first_and_month_first_dates_is_refused_naming_a_line_of_each(files):
    from spyglass.data.files import DataFileError

    prices_path, chains_path = files
    bars = good_prices(30)
    bars = bars.assign(date=bars["date"].dt.strftime("%d/%m/%Y"))
    bars.loc[25, "date"] = "02/13/2020"
    bars.to_csv(prices_path, index=False)
    mixed = r"column 'date' mixes day-first and month-first dates: line 10 '13/01/2020', line 27 '02/13/2020'"
    with pytest.raises(DataFileError, match=mixed + "; write them as YYYY-MM-DD"):
        load_market_data(cfg(prices_path, chains_path), seed=0)
