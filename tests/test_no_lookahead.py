"""No look-ahead, end to end and for every horizon: changing prices after day t changes no feature, prediction
or allocation at or before t (a target over h days, realised at t + h, is the only column that may). The chain is
re-simulated from the changed prices (GARCH fitted on the calibration window, as the sample provider does), its
volatility indices recomputed from it, and every step is the function the pipeline's stages call, with the
candidate fixed (the tilted vol target, adopted, on every feature) so that both runs size the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import run_pipeline
from spyglass.data.simulated import with_simulated_chains
from spyglass.strategy.choice import Choice

TABLES = ["options", "vol_index", "ta", "base", "meta", "allocations"]
HORIZONS = [1, 5, 21, 63]


def tables_of(prices: pd.DataFrame, cfg: dict, horizon: int) -> dict[str, pd.DataFrame]:
    choice = Choice(True, horizon, "technical+index+chain", "vol_tilt", "fixed for the test")
    run = run_pipeline(with_simulated_chains(prices, cfg["data"], cfg["seed"], "test"), cfg, choice)
    return {"options": run.options, "vol_index": run.vol_index, "ta": run.ta, "base": run.base.oof,
            "meta": run.meta.oof, "allocations": run.allocations}  # fmt: skip


def perturb_after(prices: pd.DataFrame, cutoff: pd.Timestamp, seed: int = 99) -> pd.DataFrame:
    changed = prices.copy()
    later = changed["date"] > cutoff
    shock = np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, later.sum())))  # a second market path
    for column in ("open", "high", "low", "close", "adj_close"):
        changed.loc[later, column] *= shock
    changed.loc[later, "volume"] *= 3.0
    return changed


@pytest.fixture(scope="module", params=HORIZONS, ids=[f"{h}d" for h in HORIZONS])
def runs(request, synthetic_market, small_cfg):
    # Shorter first windows, so a 63-day target leaves a few non-overlapping outcomes to score on the short history;
    # there the first window is too short for tuning's inner split purged by the horizon, so the learners keep their
    # fixed params (tuning is checked at 1 and 5 days).
    tuned = small_cfg["tuning"]["models"] if request.param <= 5 else []
    cfg = {**small_cfg, "target": {"horizon_days": HORIZONS}, "cv": {**small_cfg["cv"], "min_train": 150},
           "meta": {**small_cfg["meta"], "min_train": 60}, "tuning": {**small_cfg["tuning"], "models": tuned},
           "allocation": {**small_cfg["allocation"], "tilt_min_history": 60}}  # fmt: skip
    prices = synthetic_market.prices
    base = tables_of(prices, cfg, request.param)
    # A cutoff inside the meta-learner's test period, so every table has rows on both sides of it.
    cutoff = base["meta"]["date"].iloc[len(base["meta"]) // 3]
    return cutoff, base, tables_of(perturb_after(prices, cutoff), cfg, request.param)


@pytest.mark.parametrize("table", TABLES)
def test_rows_up_to_the_cutoff_are_unchanged(runs, table):
    cutoff, original, perturbed = runs
    before = original[table][original[table]["date"] <= cutoff]
    assert len(before) > 0
    columns = [c for c in before.columns if not c.startswith("target")]
    # A row's target is realised h days later, so it may change; nothing else may.
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
