"""No look-ahead, end to end: changing prices after day t changes no feature, prediction or allocation at or
before t. The chain is re-simulated from the changed prices (GARCH fitted on the calibration window, as the
sample provider does), its volatility indices recomputed from it, and every step is the function the
pipeline's stages call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import run_pipeline
from spyglass.data.simulated import with_simulated_chains

TABLES = ["options", "vol_index", "ta", "base", "meta", "allocations"]


def tables_of(prices: pd.DataFrame, cfg: dict) -> dict[str, pd.DataFrame]:
    run = run_pipeline(with_simulated_chains(prices, cfg["data"], cfg["seed"], "test"), cfg)
    return {"options": run.options, "vol_index": run.vol_index, "ta": run.ta, "base": run.base.oof,
            "meta": run.meta.oof, "allocations": run.allocations}  # fmt: skip


def perturb_after(prices: pd.DataFrame, cutoff: pd.Timestamp, seed: int = 99) -> pd.DataFrame:
    changed = prices.copy()
    later = changed["date"] > cutoff
    shock = np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.03, later.sum())))
    for column in ("open", "high", "low", "close", "adj_close"):
        changed.loc[later, column] *= shock
    changed.loc[later, "volume"] *= 3.0
    return changed


@pytest.fixture(scope="module")
def runs(synthetic_market, small_cfg):
    prices = synthetic_market.prices
    base = tables_of(prices, small_cfg)
    # A cutoff inside the meta-learner's test period, so every table has rows on both sides of it.
    cutoff = base["meta"]["date"].iloc[len(base["meta"]) // 3]
    return cutoff, base, tables_of(perturb_after(prices, cutoff), small_cfg)


@pytest.mark.parametrize("table", TABLES)
def test_rows_up_to_the_cutoff_are_unchanged(runs, table):
    cutoff, original, perturbed = runs
    before = original[table][original[table]["date"] <= cutoff]
    assert len(before) > 0
    columns = [c for c in before.columns if c != "target_ret_1d" and c != "target"]
    # The target of the cutoff row is realised the next day, so it may change; nothing else may.
    pd.testing.assert_frame_equal(
        before[columns].reset_index(drop=True),
        perturbed[table][perturbed[table]["date"] <= cutoff][columns].reset_index(drop=True),
    )


@pytest.mark.parametrize("table", TABLES)
def test_rows_after_the_cutoff_do_change(runs, table):
    """Guards the test above: the perturbation is strong enough to move every table after the cutoff."""
    cutoff, original, perturbed = runs
    after = original[table][original[table]["date"] > cutoff].drop(columns=["date"], errors="ignore")
    changed = perturbed[table][perturbed[table]["date"] > cutoff].drop(columns=["date"], errors="ignore")
    assert not np.allclose(after.select_dtypes("number").to_numpy(), changed.select_dtypes("number").to_numpy())
