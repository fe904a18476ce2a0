"""Does options data pay? The same walk-forward folds, base learners, stack, allocation and backtest, run on
nested feature sets: technical only; plus the volatility-index features; plus the chain-snapshot features
(only where the tier policy includes them in the model).

Every set uses the base learners' fixed params (no Optuna search), so the sets differ only in their columns;
the figures are therefore not those of the tuned pipeline. Nothing is chosen on the backtest window: the sets
are fixed in advance and all of them are reported. A source's own extra features (Kaggle's) are in every set.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from spyglass.backtest.engine import run_backtest
from spyglass.backtest.report import backtest_summary
from spyglass.features.assemble import ModelFrame
from spyglass.models.meta import stacked_predictions
from spyglass.models.training import base_model_specs, outer_folds, walk_forward_oof
from spyglass.strategy.allocation import get_allocations

# name -> the tiers of ModelFrame.tiers it uses; each set adds one tier to the one before.
FEATURE_SETS = {
    "technical": ("technical", "extra"),
    "technical+index": ("technical", "extra", "index"),
    "technical+index+chain": ("technical", "extra", "index", "chain"),
}
REPORTED = ("ic", "rank_ic", "hit_rate", "n")


def feature_set_ablation(frame: ModelFrame, prices: pd.DataFrame, cfg: dict) -> dict[str, Any]:
    """Per feature set: its size, the stack's walk-forward IC, rank IC and hit rate, and the strategy's Sharpe
    ratio and CAGR after costs over the backtested period (`scored`, the same for every set); a set whose added
    tier has no columns is skipped with the reason.

    `cfg` needs the sections model, cv, meta, allocation, backtest, features, data and seed.
    """
    folds = outer_folds(len(frame.target), cfg["cv"])
    specs = base_model_specs(cfg)
    cv, costs = cfg["cv"], cfg["backtest"]
    sets: dict[str, Any] = {}
    scored: dict[str, Any] = {}
    for name, tiers in FEATURE_SETS.items():
        added = tiers[-1]
        if name != "technical" and not frame.tiers.get(added):
            why = frame.chain_tier.reason if added == "chain" else f"no {added} features in this run"
            sets[name] = {"skipped": why}
            continue
        columns = [column for tier in tiers for column in frame.tiers.get(tier, [])]
        oof, _, _ = walk_forward_oof(frame, columns, folds, specs, int(cfg["seed"]), tuning={}, refit=False)
        stack = stacked_predictions(oof, cfg["meta"], int(cv["gap"]), int(cv["embargo"]))
        allocations = get_allocations(stack.oof, prices, cfg["allocation"])
        daily = run_backtest(allocations, prices, float(costs["cost_bps"]), float(cfg["data"]["risk_free_rate"]),
                             float(costs["slippage_bps"]))  # fmt: skip
        summary = backtest_summary(daily, float(costs["cost_bps"]), slippage_bps=float(costs["slippage_bps"]))
        strategy, scored = summary["strategy"], summary["period"]  # the same period for every set
        sets[name] = {
            "features": len(columns),
            **{key: stack.metrics["stack"][key] for key in REPORTED},
            "sharpe_net": strategy["sharpe"],
            "cagr_net": strategy["cagr"],
        }
    return {
        "rows": len(frame.target),
        "start": f"{frame.dates.iloc[0]:%Y-%m-%d}",
        "end": f"{frame.dates.iloc[-1]:%Y-%m-%d}",
        "scored": {key: scored[key] for key in ("start", "end", "days")},
        "chain_features": frame.chain_tier.reason,
        "sets": sets,
    }
