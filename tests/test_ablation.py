"""The comparison: every horizon x feature set x sizing on the same days, with error bars and the rule's choice."""

from __future__ import annotations

import numpy as np
import pytest

from spyglass.ablation import compare
from spyglass.backtest.report import format_comparison
from spyglass.features.tables import FeatureTables
from spyglass.models.training import model_frame


@pytest.fixture(scope="module")
def tables(small_run) -> FeatureTables:
    return FeatureTables(small_run.ta, small_run.options, vol_index=small_run.vol_index)


@pytest.fixture(scope="module")
def record(small_comparison) -> dict:
    return small_comparison.record


def test_every_horizon_feature_set_and_sizing_is_a_candidate(record, small_cfg, tables):
    horizons, sizings = small_cfg["target"]["horizon_days"], small_cfg["comparison"]["sizings"]
    sets = small_cfg["comparison"]["feature_sets"]
    expected = {f"{h}d {name} {sizing}" for h in horizons for name in sets for sizing in sizings}
    assert set(record["candidates"]) == expected and record["horizons"] == [1, 5]
    tiers = {name: len(columns) for name, columns in model_frame(tables, small_cfg).tiers.items()}
    features = {entry["feature_set"]: entry["features"] for entry in record["candidates"].values()}
    assert features["technical"] == tiers["technical"]
    assert features["technical+index+chain"] == tiers["technical"] + tiers["index"] + tiers["chain"]
    ridge = small_cfg["model"]["ridge"]["features"]
    assert features["parsimonious"] == len(ridge)  # the synthetic source has all four named features
    assert all(entry["learners"] == ["ridge"] for entry in record["candidates"].values()
               if entry["feature_set"] == "parsimonious")  # fmt: skip


def test_each_candidate_has_its_difference_to_its_vol_target_with_an_interval(record):
    for entry in record["candidates"].values():
        difference = entry["against_vol_target"]
        assert difference["low"] <= difference["difference"] <= difference["high"]
        assert difference["difference"] == pytest.approx(entry["sharpe_net"] - entry["vol_target_sharpe_net"],
                                                         abs=2e-6)  # fmt: skip
        assert np.isfinite([entry["ic"], entry["ic_t"], entry["turnover"]]).all()
    assert 0 <= record["pbo"]["pbo"] <= 1 and record["pbo"]["strategies"] == len(record["candidates"])
    assert 0 <= record["spa_pvalue"]["vol_target"] <= 1 and 0 <= record["spa_pvalue"]["buy_and_hold"] <= 1


def test_the_choice_follows_the_rule(record):
    choice = record["choice"]
    best = max(record["candidates"].values(), key=lambda e: e["against_vol_target"]["low"])
    assert choice["low"] == pytest.approx(best["against_vol_target"]["low"])
    expected = record["pbo"]["pbo"] < record["rule"]["max_pbo"] and choice["low"] > record["rule"]["min_lower_bound"]
    assert choice["adopted"] == expected


def test_a_tier_left_out_of_the_model_is_skipped_with_the_reason(tables, small_cfg, synthetic_market):
    options = {**small_cfg["features"]["options"], "chain_features": "never"}
    cfg = {**small_cfg, "features": {**small_cfg["features"], "options": options}, "target": {"horizon_days": [1]},
           "comparison": {**small_cfg["comparison"], "sizings": ["vol_tilt"]}}  # fmt: skip
    record = compare(tables, synthetic_market.prices, cfg).record
    assert record["skipped"] == {"1d": {"technical+index+chain": record["chain_features"]}}
    assert record["chain_features"].startswith("chain-snapshot features left out (chain_features=never")
    text = format_comparison(record)
    assert "skipped 1d technical+index+chain: chain-snapshot features left out" in text
    assert "1d technical vol_tilt" in text and "probability of backtest overfitting" in text
    assert text.splitlines()[-1].startswith("rule: ")
