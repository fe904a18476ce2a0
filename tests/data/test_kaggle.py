"""The Kaggle Hull Tactical provider on a generated file of the exact train.csv schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hull_file import hull_train_frame, write_hull_train_csv
from spyglass.data import load_market_data
from spyglass.data.kaggle import FEATURE_COLUMNS
from spyglass.features.technical import ta_feature_table
from spyglass.schemas import DataValidationError, ExtraFeaturesSchema, PricesSchema, validate

CFG = {"source": "kaggle", "origin_date": "1990-01-02", "start": None, "end": None}


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory):
    return write_hull_train_csv(tmp_path_factory.mktemp("hull") / "train.csv", n_days=600)


def test_schema_matches_the_competition_file():
    frame = hull_train_frame(10)
    assert list(frame.columns) == ["date_id", *FEATURE_COLUMNS, "forward_returns", "risk_free_rate",
                                   "market_forward_excess_returns"]  # fmt: skip
    assert len(FEATURE_COLUMNS) == 94


def test_index_returns_are_the_forward_returns_and_the_target_their_excess_log_return(train_csv, small_cfg):
    market = load_market_data({**CFG, "path": str(train_csv)}, seed=0)
    raw = pd.read_csv(train_csv)
    prices = validate(market.prices, PricesSchema, "kaggle bars")
    np.testing.assert_allclose(prices["adj_close"].pct_change().to_numpy()[1:], raw["forward_returns"], rtol=1e-10)
    assert market.chains is None
    tech = {**small_cfg["features"]["technical"], "use_range": False, "use_volume": False}
    table = ta_feature_table(prices, tech, risk_free_rate=0.5).merge(market.extra_features[["date"]].assign(
        row=range(len(raw))), on="date")  # fmt: skip
    expected = (np.log1p(raw["forward_returns"]) - raw["risk_free_rate"]).to_numpy()[table["row"]]
    np.testing.assert_allclose(table["target_ret_1d"], expected, rtol=1e-9)


def test_features_keep_their_early_missingness(train_csv):
    market = load_market_data({**CFG, "path": str(train_csv)}, seed=0)
    extra = validate(market.extra_features, ExtraFeaturesSchema, "kaggle features")
    assert list(extra.columns) == ["date", *FEATURE_COLUMNS]
    assert extra["V1"].iloc[:50].isna().all() and extra["V1"].iloc[-50:].notna().mean() > 0.9
    assert extra["D1"].notna().all()


def test_window_uses_the_labelled_dates(train_csv):
    market = load_market_data({**CFG, "path": str(train_csv), "start": "1990-06-01", "end": "1990-12-31"}, seed=0)
    assert market.prices["date"].min() >= pd.Timestamp("1990-06-01")
    assert market.extra_features["date"].max() <= pd.Timestamp("1990-12-31")


def test_wrong_files_get_clear_errors(tmp_path):
    frame = hull_train_frame(30)
    frame.drop(columns=["E3", "V13"]).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(
        ValueError, match=r"a\.csv: not the Hull Tactical train.csv schema; missing column\(s\) E3, V13"
    ):
        load_market_data({**CFG, "path": str(tmp_path / "a.csv")}, seed=0)
    frame.drop(index=[5]).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataValidationError, match=r"b\.csv: invalid data\n  table fails date_id must increase by 1"):
        load_market_data({**CFG, "path": str(tmp_path / "b.csv")}, seed=0)
    with pytest.raises(FileNotFoundError, match=r"data=kaggle needs data\.path"):
        load_market_data({**CFG, "path": None}, seed=0)


def test_the_kaggle_file_runs_every_stage_to_a_backtest_and_leaves_the_store_alone(
    repo_root, monkeypatch, tmp_path, synthetic_market, small_cfg
):
    """The stages in dvc.yaml's order (in this process) on data=kaggle: extra features reach the models, the
    source's own risk-free rate and no options; the snapshots stored before are left as they are, and unused."""
    import json

    from helpers import run_stages, stage_paths
    from spyglass.data import snapshot_provenance
    from spyglass.data.store import partition_files, replace_store
    from spyglass.io import read_table
    from spyglass.schemas import BaseOofSchema

    train_csv = write_hull_train_csv(tmp_path / "train.csv", n_days=5000)
    out = tmp_path / "repo"
    replace_store(synthetic_market.chains.head(5000), out / "data/raw/options", snapshot_provenance(small_cfg["data"]))
    store = {path: path.read_bytes() for path in partition_files(out / "data/raw/options")}
    run_stages(repo_root, monkeypatch, ["experiment=debug", "data=kaggle", f"data.path={train_csv}", "tuning=none",
                                        *stage_paths(out)])  # fmt: skip
    assert store and {path: path.read_bytes() for path in partition_files(out / "data/raw/options")} == store
    assert len(pd.read_parquet(out / "data/features/options.parquet")) == 0
    base = read_table(out / "data/predictions/base_oof.parquet", BaseOofSchema)
    manifest = json.loads((out / "data/models/base/manifest.json").read_text())
    assert {"M4", "V13", "rsi"} <= set(manifest["features"]) and "atr_pct" not in manifest["features"]
    assert len(base) > 100
    metrics = json.loads((out / "metrics/backtest.json").read_text())
    assert metrics["period"]["end"] <= "2008-12-31" and "sharpe" in metrics["strategy"]
    fetch = json.loads((out / "metrics/fetch.json").read_text())
    assert fetch["extra_feature_columns"] == 94 and fetch["missing"]["extra features"]["missing_share"]["V1"] > 0


def test_a_later_slice_keeps_its_place_in_time(tmp_path):
    frame = hull_train_frame(40).assign(date_id=lambda f: f["date_id"] + 8501)  # the competition's last rows
    frame.to_csv(tmp_path / "slice.csv", index=False)
    market = load_market_data({**CFG, "path": str(tmp_path / "slice.csv")}, seed=0)
    first = pd.Timestamp("1990-01-02") + pd.offsets.BDay(8501)  # date_id 8501 business days after date_id 0
    assert market.extra_features["date"].iloc[0] == first == market.prices["date"].iloc[0]
    assert market.prices["date"].iloc[-1] == first + pd.offsets.BDay(40)  # the close after the last forward return
