"""Saved models score new rows only when the columns match their manifest; re-runs are byte-identical."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pytest

from conftest import SMALL_CHOICE
from helpers import run_pipeline
from spyglass.io import json_text
from spyglass.models.registry import FeatureMismatchError, load_models, save_models, score
from spyglass.strategy.choice import Choice


def train(market, cfg):
    run = run_pipeline(market, cfg, Choice(**SMALL_CHOICE))  # the candidate small_run trains
    return run.base, run.meta, run.base.frame


@pytest.fixture(scope="module")
def trained(small_run):
    return small_run.base, small_run.meta, small_run.base.frame


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    base, meta, _ = trained
    directory = tmp_path_factory.mktemp("models")
    save_models(directory, {n: r.final_model for n, r in base.models.items()}, base.manifest)
    joblib.dump({"model": meta.model, "inputs": meta.inputs}, directory / "meta.joblib")
    return directory


def test_scoring_reproduces_the_saved_models_and_the_stack(trained, saved):
    base, meta, frame = trained
    rows = frame.features.tail(5).assign(date=frame.dates.tail(5).to_numpy())
    scored = score(saved, saved / "meta.joblib", rows)
    for name, result in base.models.items():
        np.testing.assert_array_equal(
            scored[f"pred_{name}"], result.final_model.predict(frame.features.tail(5).to_numpy())
        )
    expected_stack = meta.model.predict(scored[meta.inputs].to_numpy())
    np.testing.assert_allclose(scored["prediction"], expected_stack)
    manifest, models = load_models(saved)
    assert set(models) == set(base.models) and manifest["features"] == frame.feature_names


def test_scoring_accepts_any_column_order_but_refuses_missing_or_extra_columns(trained, saved):
    _, _, frame = trained
    rows = frame.features.tail(3)
    shuffled = rows[rows.columns[::-1]]
    np.testing.assert_array_equal(score(saved, saved / "meta.joblib", shuffled)["prediction"],
                                  score(saved, saved / "meta.joblib", rows)["prediction"])  # fmt: skip
    with pytest.raises(FeatureMismatchError, match=r"missing \['rsi'\], unexpected \['vix'\]"):
        score(saved, saved / "meta.joblib", rows.drop(columns="rsi").assign(vix=1.0))


def test_same_params_give_byte_identical_outputs_and_metrics(synthetic_market, small_cfg, trained):
    base, meta, _ = trained
    again_base, again_meta, _ = train(synthetic_market, small_cfg)

    def parquet_bytes(frame):
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()

    assert parquet_bytes(base.oof) == parquet_bytes(again_base.oof)
    assert parquet_bytes(meta.oof) == parquet_bytes(again_meta.oof)
    assert json_text(base.metrics) == json_text(again_base.metrics)
    assert json_text(meta.metrics) == json_text(again_meta.metrics)
    assert base.trials.drop(columns=[c for c in base.trials if c.startswith("datetime")]).equals(
        again_base.trials.drop(columns=[c for c in again_base.trials if c.startswith("datetime")])
    )
