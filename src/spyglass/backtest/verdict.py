"""The rule that picks the product's default among the candidates the comparison evaluated, and the verdict
every backtest states (docs/design.md, "The signal's verdict": the rule was written there before the comparison
was run).

The rule: no candidate is adopted when the candidate set's probability of backtest overfitting is at least
`max_pbo`; otherwise the candidate whose bootstrap interval of (net Sharpe - its vol target's) has the highest
lower bound is adopted if that bound is above `min_lower_bound`; ties go to fewer features, then the longer
horizon. Without an adopted candidate the product holds the plain vol target and says the model adds nothing
measurable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spyglass.backtest.inference import (
    SharpeDifference,
    bootstrap_indices,
    sharpe_difference_intervals,
    spa_pvalue,
)
from spyglass.errors import ConfigError
from spyglass.strategy.choice import Choice, candidate_name


@dataclass(frozen=True)
class RuleSettings:
    """conf/comparison: the bootstrap (replications, mean block in days, seed), CSCV's blocks and the rule."""

    level: float = 0.90
    max_pbo: float = 0.5
    min_lower_bound: float = 0.0
    reps: int = 1000
    mean_block_days: float = 21.0
    seed: int = 0
    pbo_blocks: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.level < 1 or self.reps < 100 or self.mean_block_days < 1:
            raise ConfigError("comparison: rule.level must lie in (0, 1), bootstrap.reps be >= 100 and "
                              "bootstrap.mean_block_days >= 1")  # fmt: skip

    @classmethod
    def from_config(cls, comparison: dict, seed: int) -> RuleSettings:
        rule, bootstrap = comparison["rule"], comparison["bootstrap"]
        return cls(float(rule["level"]), float(rule["max_pbo"]), float(rule["min_lower_bound"]),
                   int(bootstrap["reps"]), float(bootstrap["mean_block_days"]), int(seed),
                   int(comparison["pbo_blocks"]))  # fmt: skip

    def indices(self, n_days: int) -> np.ndarray:
        """The bootstrap's resampled days (the same for every comparison in a run)."""
        return bootstrap_indices(n_days, self.reps, self.mean_block_days, self.seed)


@dataclass(frozen=True)
class Ranked:
    """What the rule reads of one candidate."""

    horizon_days: int
    feature_set: str
    sizing: str
    features: int
    against_vol_target: SharpeDifference

    @property
    def name(self) -> str:
        return candidate_name(self.horizon_days, self.feature_set, self.sizing)


def choose(candidates: list[Ranked], pbo: float, rule: RuleSettings) -> Choice:
    """The rule (module docstring) applied to the candidates and the set's PBO."""
    best = min(candidates, key=lambda c: (-c.against_vol_target.low, c.features, -c.horizon_days))
    diff = best.against_vol_target
    if pbo >= rule.max_pbo:
        reason = (f"the candidates' probability of backtest overfitting is {pbo:.2f} (>= {rule.max_pbo:g}): the best "
                  "in sample is as likely as not to be below the median out of sample")  # fmt: skip
        adopted = False
    elif diff.low <= rule.min_lower_bound:
        reason = (f"no candidate's {rule.level:.0%} interval against the vol target lies above "
                  f"{rule.min_lower_bound:+g}: the best, {best.name}, is {diff.describe()}")  # fmt: skip
        adopted = False
    else:
        reason = (f"{best.name} has the highest lower bound against the vol target, {diff.describe()} at "
                  f"{rule.level:.0%}, and the candidates' PBO is {pbo:.2f} (< {rule.max_pbo:g})")  # fmt: skip
        adopted = True
    return Choice(adopted, best.horizon_days, best.feature_set, best.sizing, reason, round(diff.difference, 6),
                  round(diff.low, 6), round(diff.high, 6), round(pbo, 6))  # fmt: skip


def strategy_verdict(daily: pd.DataFrame, choice: Choice, rule: RuleSettings) -> dict:
    """The backtest's verdict (metrics/backtest.json): the strategy's net Sharpe minus the vol target's and minus
    buy-and-hold's, each with its bootstrap interval and Hansen's SPA p-value, the choice it runs and one line
    saying whether the model beats plain vol targeting."""
    rf = daily["risk_free_return"].to_numpy()
    strategy = daily["strategy_return"].to_numpy() - rf
    benchmarks = {"vol_target": daily["vol_target_return"].to_numpy() - rf,
                  "buy_and_hold": daily["benchmark_return"].to_numpy() - rf}  # fmt: skip
    indices = rule.indices(len(strategy))
    against = sharpe_difference_intervals(
        np.column_stack([strategy] * len(benchmarks)), np.column_stack(list(benchmarks.values())), indices, rule.level
    )
    verdict = {}
    for (name, benchmark), difference in zip(benchmarks.items(), against, strict=True):
        p = spa_pvalue(benchmark, strategy, rule.mean_block_days, rule.reps, rule.seed)
        verdict[name] = difference.as_dict() | {"spa_pvalue": round(p, 6)}
    vs_target = against[0]
    if choice.adopted:
        headline = (f"The model ({choice.candidate}) against plain vol targeting: {vs_target.describe()} net Sharpe "
                    f"({rule.level:.0%} interval; SPA p {verdict['vol_target']['spa_pvalue']:.2f}).")  # fmt: skip
    elif choice.low == choice.high == 0:
        headline = ("The model adds nothing measurable: the position is the plain vol target (rebalanced monthly). "
                    f"The best-ranked candidate, {choice.candidate}, never tilted it: its forecast never showed "
                    "skill on outcomes already known.")  # fmt: skip
    else:
        headline = ("The model adds nothing measurable: the position is the plain vol target (rebalanced monthly). "
                    f"The best candidate, {choice.candidate}, was {choice.difference:+.2f} Sharpe "
                    f"[{choice.low:+.2f}, {choice.high:+.2f}] against it.")  # fmt: skip
    return {
        "headline": headline,
        "choice": choice.as_dict(),
        "against": verdict,
        "bootstrap": {
            "reps": rule.reps,
            "mean_block_days": rule.mean_block_days,
            "level": rule.level,
            "seed": rule.seed,
        },
    }
