from __future__ import annotations

import json

import pandas as pd

from spyglass.io import json_text
from spyglass.models.registry import library_versions, model_manifest


def test_manifest_records_features_in_order_window_params_and_versions():
    dates = pd.Series(pd.bdate_range("2020-01-01", periods=10))
    manifest = model_manifest({"xgboost": {"max_depth": 3}}, ["b", "a"], dates, {"xgboost": {"ic": 0.1}})
    assert manifest["features"] == ["b", "a"]
    assert (manifest["train_start"], manifest["train_end"]) == ("2020-01-01", "2020-01-14")
    assert manifest["models"]["xgboost"] == {"file": "xgboost.joblib", "params": {"max_depth": 3}}
    assert manifest["oof_metrics"]["xgboost"]["ic"] == 0.1
    assert json.loads(json_text(manifest)) == manifest


def test_library_versions_cover_the_model_libraries():
    versions = library_versions()
    assert versions["scikit-learn"][0].isdigit() and versions["lightgbm"][0].isdigit()
