"""The comparison (the ablation stage's core): every candidate the run can field, evaluated walk-forward on the
same footing, with error bars, and the rule's choice among them (spyglass.backtest.verdict; docs/design.md).

Candidates are each horizon of `target.horizon_days` x each feature set of `comparison.feature_sets`
(spyglass.models.feature_sets: technical only, plus volatility-index features, plus chain features, and the
parsimonious learner on its named features) x each sizing of `comparison.sizings`. Each uses the base learners'
fixed params (no Optuna search, so the sets differ only in what they are given), walk-forward folds purged for
its horizon, the stack, `get_allocations` on its horizon's rebalance schedule and the backtest engine with the
configured costs. All are scored on the same days: those on which every candidate holds a position.

Reported per candidate: the stack's IC, rank IC and hit rate on non-overlapping outcomes with the IC's
Newey-West t; net Sharpe, turnover and CAGR; its net Sharpe minus its vol target's (the same schedule, bounds and
costs without the forecast) with a stationary-bootstrap interval. For the set: the probability of backtest
overfitting (CSCV) and Hansen's SPA p-values against the vol target and buy-and-hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spyglass.backtest.engine import backtest_with_benchmarks
from spyglass.backtest.inference import probability_of_backtest_overfitting, sharpe_difference_intervals, spa_pvalue
from spyglass.backtest.metrics import ReturnSeries, compute_metrics
from spyglass.backtest.verdict import Ranked, RuleSettings, choose
from spyglass.errors import ConfigError, DataError
from spyglass.features.assemble import ModelFrame
from spyglass.features.tables import FeatureTables
from spyglass.features.targets import horizons
from spyglass.models.feature_sets import FeatureSet, feature_sets
from spyglass.models.meta import MetaTraining, stacked_predictions
from spyglass.models.training import base_model_specs, model_frame, outer_folds, walk_forward_oof
from spyglass.strategy.allocation import SizingPlan, get_allocations, rebalance_schedule
from spyglass.strategy.choice import Choice, candidate_name

log = logging.getLogger(__name__)
SIGNAL = ("ic", "rank_ic", "ic_t", "hit_rate", "n")
MIN_DAYS_PER_BLOCK = 8  # CSCV's blocks must each hold a few days for their Sharpe ratios to mean anything


@dataclass
class Candidate:
    """One candidate's daily backtest (date, strategy, vol target and buy-and-hold net returns, risk-free, the
    position) and its stack's signal metrics."""

    horizon_days: int
    feature_set: str
    sizing: str
    features: int
    learners: list[str]
    signal: dict[str, float]
    daily: pd.DataFrame

    @property
    def name(self) -> str:
        return candidate_name(self.horizon_days, self.feature_set, self.sizing)


@dataclass
class Comparison:
    """The comparison's record (metrics/ablation.json) and the rule's choice."""

    record: dict[str, Any]
    choice: Choice


@dataclass
class CandidateSet:
    """Every candidate's walk-forward backtest, {horizon: {feature set: why it was skipped}}, and whether the
    chain tier entered the model frames (its reason)."""

    candidates: list[Candidate]
    skipped: dict[str, dict[str, str]]
    chain_features: str


def candidate_backtests(tables: FeatureTables, prices: pd.DataFrame, cfg: dict) -> CandidateSet:
    """Every candidate's walk-forward backtest (module docstring)."""
    specs = base_model_specs(cfg)
    sets = feature_sets(cfg["comparison"]["feature_sets"])
    costs = cfg["backtest"]
    candidates, skipped, chain_features = [], {}, ""
    for h in horizons(cfg["target"]["horizon_days"]):
        frame = model_frame(tables, cfg, h)
        chain_features = chain_features or frame.chain_tier.reason  # the tier policy reads features, not targets
        for feature_set in sets.values():
            why, stack = feature_set.skipped_because(frame, specs), None
            learners = feature_set.learners_for(specs, feature_set.columns(frame))
            if why is None:
                try:
                    stack = candidate_stack(frame, feature_set, learners, cfg)
                except (ConfigError, DataError) as exc:  # a history too short for this horizon's folds
                    why = f"cannot be evaluated on {len(frame.target)} rows: {exc}"
                    log.warning("ablation: %dd %s %s", h, feature_set.name, why)
            if why is not None:
                skipped.setdefault(f"{h}d", {})[feature_set.name] = why
                continue
            signal = {key: stack.metrics["stack"][key] for key in SIGNAL}
            used = feature_set.used_columns(learners, frame)
            for sizing in cfg["comparison"]["sizings"]:
                plan = SizingPlan(sizing, h, rebalance_schedule(cfg["allocation"]["rebalance"], h))
                allocations = get_allocations(stack.oof, prices, cfg["allocation"], plan)
                daily = backtest_with_benchmarks(
                    allocations,
                    prices,
                    float(costs["cost_bps"]),
                    float(cfg["data"]["risk_free_rate"]),
                    float(costs["slippage_bps"]),
                )
                candidates.append(Candidate(h, feature_set.name, sizing, len(used), [s.name for s in learners],
                                            signal, daily))  # fmt: skip
            log.info("ablation: %dd %s (%d features) IC %.3f (t %.2f)", h, feature_set.name, len(used),
                     signal["ic"], signal["ic_t"])  # fmt: skip
    if not candidates:
        raise DataError(f"no candidate could be fitted: {skipped}")
    return CandidateSet(candidates, skipped, chain_features)


def candidate_stack(frame: ModelFrame, feature_set: FeatureSet, learners: list, cfg: dict) -> MetaTraining:
    """The stack's walk-forward predictions of one feature set's `learners` on the frame's horizon (fixed
    params)."""
    folds = outer_folds(len(frame.target), cfg["cv"], frame.horizon_days)
    oof, _, _ = walk_forward_oof(frame, feature_set.columns(frame), folds, learners, int(cfg["seed"]), tuning={},
                                 refit=False)  # fmt: skip
    return stacked_predictions(oof, cfg["meta"], int(cfg["cv"]["gap"]), int(cfg["cv"]["embargo"]), frame.horizon_days)


def common_days(candidates: list[Candidate], min_days: int) -> pd.DatetimeIndex:
    """The days on which every candidate holds a position (DataError below `min_days`)."""
    days = pd.DatetimeIndex(candidates[0].daily["date"])
    for candidate in candidates[1:]:
        days = days.intersection(pd.DatetimeIndex(candidate.daily["date"]))
    if len(days) < min_days:
        raise DataError(f"the candidates share only {len(days)} scored days (CSCV needs {min_days}); lengthen the "
                        "data or shorten target.horizon_days")  # fmt: skip
    return days


def _on(candidate: Candidate, days: pd.DatetimeIndex) -> pd.DataFrame:
    return candidate.daily.set_index("date").loc[days]


def compare(tables: FeatureTables, prices: pd.DataFrame, cfg: dict) -> Comparison:
    """Evaluate every candidate, apply the rule, and return the record and the choice (module docstring)."""
    rule = RuleSettings.from_config(cfg["comparison"], int(cfg["seed"]))
    fielded = candidate_backtests(tables, prices, cfg)
    candidates = fielded.candidates
    days = common_days(candidates, MIN_DAYS_PER_BLOCK * rule.pbo_blocks)
    scored = [_on(c, days) for c in candidates]
    rf = scored[0]["risk_free_return"].to_numpy()
    strategies = np.column_stack([s["strategy_return"].to_numpy() - rf for s in scored])
    targets = np.column_stack([s["vol_target_return"].to_numpy() - rf for s in scored])
    hold = scored[0]["benchmark_return"].to_numpy() - rf
    against = sharpe_difference_intervals(strategies, targets, rule.indices(len(days)), rule.level)
    overfitting = probability_of_backtest_overfitting(strategies, rule.pbo_blocks) if len(candidates) > 1 else None
    pbo = overfitting.pbo if overfitting else 0.0
    ranked = [Ranked(c.horizon_days, c.feature_set, c.sizing, c.features, d)
              for c, d in zip(candidates, against, strict=True)]  # fmt: skip
    choice = choose(ranked, pbo, rule)
    rows = {}
    for candidate, daily, difference in zip(candidates, scored, against, strict=True):
        net = ReturnSeries(daily["strategy_return"].to_numpy(), daily["position"].to_numpy(), rf)
        target = ReturnSeries(daily["vol_target_return"].to_numpy(), daily["vol_target_position"].to_numpy(), rf)
        mine = compute_metrics(net, ["sharpe", "cagr", "turnover"])
        theirs = compute_metrics(target, ["sharpe", "turnover"])
        rows[candidate.name] = {
            "horizon_days": candidate.horizon_days, "feature_set": candidate.feature_set, "sizing": candidate.sizing,
            "features": candidate.features, "learners": candidate.learners, **candidate.signal,
            "sharpe_net": mine["sharpe"], "cagr_net": mine["cagr"], "turnover": mine["turnover"],
            "vol_target_sharpe_net": theirs["sharpe"], "vol_target_turnover": theirs["turnover"],
            "against_vol_target": difference.as_dict(),
        }  # fmt: skip
    spa_days = rule.mean_block_days
    record = {
        "scored": {"start": f"{days[0]:%Y-%m-%d}", "end": f"{days[-1]:%Y-%m-%d}", "days": len(days)},
        "horizons": list(horizons(cfg["target"]["horizon_days"])),
        "chain_features": fielded.chain_features,
        "candidates": rows,
        "skipped": fielded.skipped,
        "pbo": overfitting.as_dict() if overfitting else None,
        "spa_pvalue": {
            "vol_target": round(spa_pvalue(targets, strategies, spa_days, rule.reps, rule.seed), 6),
            "buy_and_hold": round(spa_pvalue(hold, strategies, spa_days, rule.reps, rule.seed), 6),
        },
        "buy_and_hold_sharpe": compute_metrics(ReturnSeries(hold + rf, np.ones(len(hold)), rf), ["sharpe"])["sharpe"],
        "rule": {"level": rule.level, "max_pbo": rule.max_pbo, "min_lower_bound": rule.min_lower_bound,
                 "bootstrap_reps": rule.reps, "mean_block_days": rule.mean_block_days, "pbo_blocks": rule.pbo_blocks},
        "choice": choice.as_dict(),
    }  # fmt: skip
    return Comparison(record, choice)
