"""Does options data pay? Nested feature sets on the same folds, each run through stack, allocation and backtest."""

from __future__ import annotations

import numpy as np
import pytest

from spyglass.ablation import feature_set_ablation
from spyglass.backtest.report import format_ablation
from spyglass.features.tables import FeatureTables
from spyglass.models.training import model_frame


@pytest.fixture(scope="module")
def tables(small_run) -> FeatureTables:
    return FeatureTables(small_run.ta, small_run.options, vol_index=small_run.vol_index)


def test_each_set_adds_one_tier_and_is_scored_on_the_pipelines_backtest_period(tables, small_cfg, small_run,
                                                                             synthetic_market):  # fmt: skip
    frame = model_frame(tables, small_cfg)
    result = feature_set_ablation(frame, synthetic_market.prices, small_cfg)
    sets = result["sets"]
    tiers = {name: len(columns) for name, columns in frame.tiers.items()}
    assert sets["technical"]["features"] == tiers["technical"]
    assert sets["technical+index"]["features"] == tiers["technical"] + tiers["index"]
    assert sets["technical+index+chain"]["features"] == len(frame.feature_names)
    assert result["scored"]["start"] == f"{small_run.daily['date'].iloc[0]:%Y-%m-%d}"
    assert result["scored"]["days"] == len(small_run.daily)
    for entry in sets.values():
        assert np.isfinite([entry["ic"], entry["rank_ic"], entry["sharpe_net"]]).all()
    assert len({entry["sharpe_net"] for entry in sets.values()}) == 3  # the columns differ, so do the results


def test_a_tier_left_out_of_the_model_is_skipped_with_the_reason(tables, small_cfg, synthetic_market):
    options = {**small_cfg["features"]["options"], "chain_features": "never"}
    cfg = {**small_cfg, "features": {**small_cfg["features"], "options": options}}
    result = feature_set_ablation(model_frame(tables, cfg), synthetic_market.prices, cfg)
    assert result["sets"]["technical+index+chain"] == {"skipped": result["chain_features"]}
    assert result["chain_features"].startswith("chain-snapshot features left out (chain_features=never")
    text = format_ablation(result)
    skipped_row = next(line for line in text.splitlines() if line.startswith("technical+index+chain"))
    assert skipped_row.split()[1:] == ["n/a"] * 6 and "Backtest " in text
