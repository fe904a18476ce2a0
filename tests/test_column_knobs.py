"""Every numeric setting that names a column, varied: the table still passes its stage's schema, the column is
named by the setting, and it has a readable name (a schema or a label frozen on the default value would fail)."""

from __future__ import annotations

import copy

import pandas as pd
import polars as pl
import pytest

from spyglass.features.names import readable
from spyglass.features.technical import ta_feature_table
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.options.features import options_feature_table
from spyglass.options.variance_index import VarianceIndexSpec, variance_indices
from spyglass.schemas import (
    OptionsFeaturesSchema,
    TechnicalFeaturesSchema,
    VolIndexFeaturesSchema,
    VolIndicesSchema,
    validate,
)

OPTIONS_KNOBS = [  # features.options: (setting, value, columns it names)
    ("risk_reversal_delta", 0.1, ["rr_10d_30d"]),
    ("atm_maturities_days", [20, 60], ["iv_atm_20d", "iv_atm_60d"]),
    ("pcr_buckets_days", [7, 60], ["pcr_oi_0_7d", "pcr_volume_8_60d", "pcr_oi_61d_plus"]),
]
TECHNICAL_KNOBS = [  # features.technical
    ("sma_windows", [7, 30], ["sma_ratio_7d", "sma_ratio_30d"]),
    ("ema_windows", [5], ["ema_ratio_5d"]),
    ("roc_windows", [3], ["roc_3d"]),
    ("vol_windows", [10], ["rvol_10d"]),
    ("range_vol_windows", [10], ["parkinson_vol_10d", "garman_klass_vol_10d"]),
    ("obv_windows", [10], ["obv_flow_10d"]),
    ("return_windows", [2, 10], ["ret_2d", "ret_10d"]),  # no 1-day return at all
    ("return_lags", [4], ["ret_lag_4d"]),
]
VOL_INDEX_KNOBS = [  # features.vol_index
    ("change_windows", [2, 10], ["vix_change_2d", "vix_change_10d"]),
    ("zscore_window", 126, ["vix_z_126d"]),
]


def assert_named_and_readable(table: pd.DataFrame, columns: list[str]) -> None:
    assert set(columns) <= set(table.columns), sorted(set(columns) - set(table.columns))
    for column in columns:
        assert "_" not in readable(column), column


@pytest.mark.parametrize(("setting", "value", "columns"), OPTIONS_KNOBS, ids=[k[0] for k in OPTIONS_KNOBS])
def test_options_features_follow_their_settings(synthetic_market, small_cfg, setting, value, columns):
    options = copy.deepcopy(small_cfg["features"]["options"]) | {setting: value}
    chains = synthetic_market.chains.filter(pl.col("snapshot_date") >= synthetic_market.chains["snapshot_date"].max())
    features, _ = options_feature_table(chains, small_cfg["data"], options)
    assert_named_and_readable(validate(features, OptionsFeaturesSchema, "options features"), columns)


@pytest.mark.parametrize(("setting", "value", "columns"), TECHNICAL_KNOBS, ids=[k[0] for k in TECHNICAL_KNOBS])
def test_technical_features_follow_their_settings(synthetic_market, small_cfg, setting, value, columns):
    technical = copy.deepcopy(small_cfg["features"]["technical"]) | {setting: value}
    table = ta_feature_table(synthetic_market.prices, technical, small_cfg["data"]["risk_free_rate"])
    assert_named_and_readable(validate(table, TechnicalFeaturesSchema, "technical features"), columns)


@pytest.mark.parametrize(("setting", "value", "columns"), VOL_INDEX_KNOBS, ids=[k[0] for k in VOL_INDEX_KNOBS])
def test_volatility_index_features_follow_their_settings(synthetic_market, small_cfg, setting, value, columns):
    spec = VolIndexSpec.from_config(copy.deepcopy(small_cfg["features"]["vol_index"]) | {setting: value})
    table, _ = vol_index_features(synthetic_market.vol_indices, synthetic_market.prices, spec)
    assert_named_and_readable(validate(table, VolIndexFeaturesSchema, "volatility index features"), columns)


def test_model_free_indices_follow_their_maturities(synthetic_market, small_cfg):
    settings = copy.deepcopy(small_cfg["data"]["model_free_indices"]) | {"maturities_days": [14, 30, 60]}
    chains = synthetic_market.chains.filter(pl.col("snapshot_date") >= synthetic_market.chains["snapshot_date"].max())
    indices = variance_indices(chains, small_cfg["data"]["risk_free_rate"], VarianceIndexSpec.from_config(settings))
    table = indices.rename({"snapshot_date": "date"}).to_pandas().assign(date=lambda t: pd.to_datetime(t["date"]))
    assert_named_and_readable(validate(table, VolIndicesSchema, "volatility indices"), ["vix_14d", "vix_60d"])
