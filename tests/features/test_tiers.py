"""Two tiers of options features: index features always enter the model, chain-snapshot features only where
snapshots cover enough of the training rows; nothing is ever filled from the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.features.assemble import TierPolicy, model_frame_from_tables

DATES = pd.bdate_range("2010-01-01", periods=1000)


def tables(snapshot_days: int):
    rng = np.random.default_rng(0)
    ta = pd.DataFrame({"date": DATES, "rsi": rng.random(1000), "target_ret_1d": rng.normal(0, 0.01, 1000)})
    index = pd.DataFrame({"date": DATES[20:], "vix_level": rng.random(980)})  # index features after warm-up
    chain = pd.DataFrame({"date": DATES[-snapshot_days:], "pcr_oi": rng.random(snapshot_days),
                          "n_contracts": 100, "spot": 4000.0})  # fmt: skip
    return ta, chain, index


def test_one_snapshot_leaves_chain_features_out_and_keeps_every_index_row():
    ta, chain, index = tables(1)
    frame = model_frame_from_tables(ta, chain, vol_index_table=index, policy=TierPolicy("auto", 504))
    assert len(frame.dates) == 980 and frame.dates.iloc[-1] == DATES[-1]
    assert frame.feature_names == ["rsi", "vix_level"]
    assert frame.tiers == {"technical": ["rsi"], "index": ["vix_level"], "chain": [], "extra": []}
    tier = frame.chain_tier
    assert (tier.included, tier.covered_rows, tier.model_rows) == (False, 1, 980)
    assert tier.reason == ("chain-snapshot features left out: snapshots cover 1 of 980 model rows "
                           "(< min_history_days 504)")  # fmt: skip


def test_enough_snapshots_bring_chain_features_in_on_the_days_they_exist():
    ta, chain, index = tables(600)
    frame = model_frame_from_tables(ta, chain, vol_index_table=index, policy=TierPolicy("auto", 504))
    assert frame.chain_tier.included and frame.tiers["chain"] == ["pcr_oi"]  # counts and levels are not features
    assert len(frame.dates) == 600 and frame.dates.iloc[0] == DATES[-600]  # no row before collection began
    assert frame.features["pcr_oi"].notna().all()


@pytest.mark.parametrize(("mode", "snapshots", "included"), [("never", 600, False), ("always", 1, True)])
def test_the_policy_can_be_forced(mode, snapshots, included):
    ta, chain, index = tables(snapshots)
    frame = model_frame_from_tables(ta, chain, vol_index_table=index, policy=TierPolicy(mode, 504))
    assert frame.chain_tier.included is included and ("pcr_oi" in frame.feature_names) is included


def test_an_unknown_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="chain_features must be one of auto, always, never, not 'sometimes'"):
        TierPolicy("sometimes")
