"""Bad input gets a clear error naming the source, the column and the rows at fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from helpers import good_prices
from spyglass.schemas import (
    AllocationsSchema,
    DataValidationError,
    OptionChainSchema,
    PricesSchema,
    TechnicalFeaturesSchema,
    validate,
)

SOURCE = "data/raw/prices.parquet"


def error_for(frame, schema=PricesSchema, source=SOURCE) -> str:
    with pytest.raises(DataValidationError) as info:
        validate(frame, schema, source)
    return str(info.value)


def test_good_prices_pass():
    assert len(validate(good_prices(), PricesSchema, SOURCE)) == 6


def test_missing_columns_are_named():
    message = error_for(good_prices().drop(columns=["adj_close", "volume"]))
    assert SOURCE in message
    assert "missing column(s): adj_close, volume" in message


def test_nan_price_names_column_row_and_date():
    frame = good_prices()
    frame.loc[3, "close"] = np.nan
    message = error_for(frame)
    assert "column 'close' fails not_nullable: 1 row(s): 3 (2020-01-06)" in message


def test_negative_price_names_column_and_row():
    frame = good_prices()
    frame.loc[2, "low"] = -1.0
    assert "column 'low' fails greater_than(0): 1 row(s): 2 (2020-01-03)" in error_for(frame)


def test_duplicate_dates_are_named():
    frame = good_prices()
    frame.loc[4, "date"] = frame.loc[3, "date"]
    message = error_for(frame)
    assert "column 'date' fails field_uniqueness: 2 row(s): 3 (2020-01-06), 4 (2020-01-06)" in message


def test_unsorted_dates_are_named():
    frame = good_prices()
    frame.loc[[1, 2], "date"] = frame.loc[[2, 1], "date"].to_numpy()
    message = error_for(frame)
    assert "dates must be strictly increasing: 1 row(s): 2 (2020-01-02)" in message


def test_many_bad_rows_are_summarised():
    frame = good_prices(20)
    frame.loc[2:15, "volume"] = -5.0
    expected = (
        "14 row(s): 2 (2020-01-03) = -5.0, 3 (2020-01-06) = -5.0, 4 (2020-01-07) = -5.0, 5 (2020-01-08) = -5.0, "
        "6 (2020-01-09) = -5.0 and 9 more"
    )
    assert expected in error_for(frame)


def chain(**overrides) -> pl.DataFrame:
    row = {
        "snapshot_date": [pd.Timestamp("2020-01-02").date()],
        "snapshot_time": [pd.Timestamp("2020-01-02 21:00", tz="UTC").to_pydatetime()],
        "expiry": [pd.Timestamp("2020-02-21").date()],
        "option_type": ["call"],
        "strike": [100.0],
        "bid": [1.0],
        "ask": [1.2],
        "last": [1.1],
        "last_trade_date": [pd.Timestamp("2020-01-02").date()],
        "volume": [None],
        "open_interest": [0.0],
        "provider_iv": [0.2],
        "underlying_price": [101.0],
    }
    row.update(overrides)
    return pl.DataFrame(row)


def test_empty_option_chain_is_rejected():
    message = error_for(chain().head(0), OptionChainSchema, "chain for 2020-01-02")
    assert "chain for 2020-01-02" in message and "option chain is empty" in message


def test_chain_allows_missing_volume_but_not_bad_type_or_expiry():
    assert validate(chain(), OptionChainSchema, "c").height == 1
    message = error_for(
        chain(option_type=["C"], expiry=[pd.Timestamp("2019-12-20").date()]), OptionChainSchema, "chain"
    )
    assert "column 'option_type' fails isin" in message
    assert "expiry must not be before snapshot_date: 1 row(s): 0 (2020-01-02)" in message


def test_technical_features_must_be_finite_but_last_target_may_be_missing():
    frame = pd.DataFrame(
        {"date": pd.bdate_range("2020-01-01", periods=3), "ret_1d": [0.1, 0.2, 0.3], "target_ret_1d": [0.1, 0.2, None]}
    )
    assert len(validate(frame, TechnicalFeaturesSchema, "ta")) == 3
    frame.loc[1, "ret_1d"] = np.inf
    assert "warm-up rows are dropped" in error_for(frame, TechnicalFeaturesSchema, "ta")


def test_allocations_require_a_positive_vol_estimate():
    frame = pd.DataFrame(
        {
            "date": pd.bdate_range("2020-01-01", periods=2),
            "prediction": [0.0, 0.0],
            "vol_estimate": [0.1, 0.0],
            "allocation_raw": [1.0, 1.0],
            "allocation_clipped": [1.0, 1.0],
            "allocation": [1.0, 1.0],
        }
    )
    assert "column 'vol_estimate' fails greater_than(0): 1 row(s): 1" in error_for(frame, AllocationsSchema, "a")


def test_trials_table_accepts_empty_and_real_trials_but_not_unknown_states():
    from spyglass.schemas import TrialsSchema

    empty = pd.DataFrame(columns=["model", "fold", "number", "value", "state"])
    assert len(validate(empty, TrialsSchema, "trials")) == 0
    trials = pd.DataFrame(
        {"model": ["xgboost"] * 2, "fold": ["0", "final"], "number": [0, 1], "value": [1e-4, None],
         "state": ["COMPLETE", "PRUNED"]}
    )  # fmt: skip
    assert len(validate(trials, TrialsSchema, "trials")) == 2
    assert "column 'state' fails isin" in error_for(trials.assign(state="DONE"), TrialsSchema, "trials")
