"""Inference on backtests, on cases whose answer is known: pure noise, a planted edge, a strategy against itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.backtest.inference import (
    SharpeDifference,
    annualised_sharpe,
    bootstrap_indices,
    probability_of_backtest_overfitting,
    sharpe_difference_intervals,
    spa_pvalue,
)
from spyglass.backtest.verdict import Ranked, RuleSettings, choose, strategy_verdict
from spyglass.strategy.choice import Choice

DAYS, STRATEGIES = 2000, 20


def noise(seed: int, n: int = STRATEGIES) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.01, (DAYS, n))


def test_pure_noise_is_as_likely_overfit_as_not():
    pbo = [probability_of_backtest_overfitting(noise(seed)).pbo for seed in range(6)]
    assert 0.35 < np.mean(pbo) < 0.65 and all(0.15 < p < 0.85 for p in pbo)


def test_a_planted_edge_is_not_overfit():
    returns = noise(1)
    returns[:, 7] += 0.002  # an annualised Sharpe of about 3 against noise whose half-sample best is about 1
    result = probability_of_backtest_overfitting(returns, blocks=16)
    assert result.pbo < 0.05 and result.blocks == 16 and result.strategies == STRATEGIES
    assert len(result.logits) == 12_870  # C(16, 8) splits


def test_cscv_counts_the_best_in_sample_strategys_rank_out_of_sample_by_hand():
    # two strategies, two blocks: block A favours s0, block B favours s1. Either split picks the in-sample best,
    # which is the worse one out of sample: relative rank 1 / 3, logit < 0, so PBO = 1.
    a = np.column_stack([[0.02, 0.01, 0.02, 0.01], [-0.01, 0.0, -0.01, 0.0]])
    returns = np.vstack([a, a[:, ::-1]])
    assert probability_of_backtest_overfitting(returns, blocks=2).pbo == 1.0


def test_spa_finds_nothing_in_noise():
    p = [spa_pvalue(np.random.default_rng(100 + seed).normal(0.0, 0.01, DAYS), noise(seed), 21, 500, seed)
         for seed in range(10)]  # fmt: skip
    assert min(p) > 0.05 and np.median(p) > 0.3


def test_spa_finds_a_planted_edge():
    returns = noise(4)
    returns[:, 3] += 0.0015
    benchmark = np.random.default_rng(5).normal(0.0, 0.01, DAYS)
    assert spa_pvalue(benchmark, returns, 21, 500, 0) < 0.01


def test_a_strategy_against_itself_has_the_interval_zero_to_zero():
    returns = noise(2, 3)
    indices = bootstrap_indices(DAYS, 300, 21, 0)
    for difference in sharpe_difference_intervals(returns, returns, indices, 0.9):
        assert (difference.difference, difference.low, difference.high) == (0.0, 0.0, 0.0)


def test_the_interval_brackets_the_difference_and_widens_with_the_level():
    returns = noise(3, 2)
    returns[:, 0] += 0.0005
    indices = bootstrap_indices(DAYS, 500, 21, 1)
    (narrow,) = sharpe_difference_intervals(returns[:, :1], returns[:, 1], indices, 0.5)
    (wide,) = sharpe_difference_intervals(returns[:, :1], returns[:, 1], indices, 0.95)
    expected = annualised_sharpe(returns[:, 0]) - annualised_sharpe(returns[:, 1])
    assert narrow.difference == pytest.approx(expected)
    assert wide.low < narrow.low < narrow.difference < narrow.high < wide.high


def test_a_constant_series_has_a_sharpe_ratio_of_zero():
    assert annualised_sharpe(np.full(50, 0.1 / 3)) == 0.0  # its sd comes out about 1e-17, not 0


def ranked(h: int, name: str, low: float, features: int = 3) -> Ranked:
    return Ranked(h, name, "vol_tilt", features, SharpeDifference(low + 0.1, low, low + 0.2, 0.9))


def test_the_rule_adopts_the_highest_lower_bound_above_zero():
    choice = choose([ranked(21, "a", 0.01), ranked(63, "b", 0.03), ranked(5, "c", -0.2)], 0.2, RuleSettings())
    assert choice.adopted and choice.candidate == "63d b vol_tilt" and choice.low == 0.03
    assert "highest lower bound" in choice.reason


def test_the_rule_holds_the_vol_target_when_no_bound_is_above_zero_or_the_search_overfits():
    below = choose([ranked(21, "a", -0.01), ranked(63, "b", -0.03)], 0.2, RuleSettings())
    assert not below.adopted and below.candidate == "21d a vol_tilt" and "no candidate's 90% interval" in below.reason
    overfit = choose([ranked(21, "a", 0.3)], 0.5, RuleSettings())
    assert not overfit.adopted and "overfitting is 0.50" in overfit.reason


def test_ties_go_to_fewer_features_then_the_longer_horizon():
    choice = choose([ranked(21, "many", 0.05, 40), ranked(21, "few", 0.05, 3), ranked(63, "few", 0.05, 3)], 0.1,
                    RuleSettings())  # fmt: skip
    assert choice.candidate == "63d few vol_tilt"


def test_the_verdict_of_the_plain_vol_target_is_nothing_measurable():
    days = pd.bdate_range("2010-01-01", periods=600)
    rng = np.random.default_rng(0)
    vol_target = rng.normal(0.0004, 0.01, 600)
    daily = pd.DataFrame(
        {
            "date": days,
            "risk_free_return": 0.0001,
            "strategy_return": vol_target,
            "vol_target_return": vol_target,
            "benchmark_return": rng.normal(0.0003, 0.012, 600),
        }
    )
    choice = Choice(False, 21, "parsimonious", "vol_tilt", "no bound above zero", 0.1, -0.05, 0.25, 0.3)
    verdict = strategy_verdict(daily, choice, RuleSettings(reps=200))
    against = verdict["against"]["vol_target"]
    assert (against["difference"], against["low"], against["high"], against["spa_pvalue"]) == (0, 0, 0, 1.0)
    assert verdict["headline"].startswith("The model adds nothing measurable")
    assert "+0.10 Sharpe [-0.05, +0.25]" in verdict["headline"]
    assert verdict["against"]["buy_and_hold"]["low"] < verdict["against"]["buy_and_hold"]["high"]
    never = Choice(False, 63, "technical", "vol_tilt", "no bound above zero", 0.0, 0.0, 0.0, 0.6)
    headline = strategy_verdict(daily, never, RuleSettings(reps=200))["headline"]
    assert "never tilted it: its forecast never showed skill" in headline
