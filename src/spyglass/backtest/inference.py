"""How much a backtest can be trusted: the uncertainty of a Sharpe difference, whether the best of several
strategies beats a benchmark once the search is accounted for, and how likely picking the best overfits.

All take daily returns in excess of the risk-free rate, rows = days (the same days for every column).
- `sharpe_difference_intervals`: Sharpe(strategy) - Sharpe(benchmark) with a percentile interval from a
  stationary block bootstrap (Politis & Romano 1994; arch's StationaryBootstrap), days resampled jointly so the
  two series keep their correlation and volatility clustering. A strategy against itself gives [0, 0].
- `spa_pvalue`: Hansen's (2005) test of Superior Predictive Ability (arch.bootstrap.SPA): the p-value of "no
  strategy of the set beats its benchmark" (one for all, or one each), which accounts for the search over the
  set. Each strategy is scaled to its benchmark's volatility, so the test compares Sharpe ratios rather than
  leverage; a set that never differs from its benchmarks gets p = 1.
- `probability_of_backtest_overfitting`: combinatorially symmetric cross-validation (Bailey, Borwein, López de
  Prado & Zhu 2017): the days are cut into S blocks; for every way of choosing S/2 of them as "in sample", the
  strategy best in sample is ranked out of sample; PBO is the share of choices where it lands at or below the
  median. Pure noise gives about 0.5, a real and stable edge about 0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from spyglass.backtest.metrics import spread
from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import DataError


def annualised_sharpe(excess: np.ndarray, axis: int = 0) -> np.ndarray:
    """mean / std (ddof=1) * sqrt(252) along `axis`; 0 for a constant series (metrics.spread)."""
    excess = np.asarray(excess, dtype=float)
    sd = spread(excess, axis=axis)
    return np.where(sd > 0, excess.mean(axis=axis) / np.where(sd > 0, sd, 1.0), 0.0) * np.sqrt(TRADING_DAYS_PER_YEAR)


def bootstrap_indices(n_days: int, reps: int, mean_block: float, seed: int) -> np.ndarray:
    """(reps, n_days) day indices of a stationary bootstrap with blocks of mean length `mean_block` days."""
    from arch.bootstrap import StationaryBootstrap

    bootstrap = StationaryBootstrap(mean_block, np.zeros(n_days), seed=seed)
    return np.stack([bootstrap.update_indices() for _ in range(reps)])


@dataclass(frozen=True)
class SharpeDifference:
    """Sharpe(strategy) - Sharpe(benchmark), annualised, with the bootstrap's interval at `level`."""

    difference: float
    low: float
    high: float
    level: float

    def as_dict(self) -> dict[str, float]:
        return {"difference": round(self.difference, 6), "low": round(self.low, 6), "high": round(self.high, 6),
                "level": self.level}  # fmt: skip

    def describe(self) -> str:
        return f"{self.difference:+.2f} [{self.low:+.2f}, {self.high:+.2f}]"


def sharpe_difference_intervals(
    strategies: np.ndarray, benchmarks: np.ndarray, indices: np.ndarray, level: float = 0.90
) -> list[SharpeDifference]:
    """Per column of `strategies` (days x n): its Sharpe minus the Sharpe of the same column of `benchmarks`
    (days x n, or one benchmark for all: days), with a percentile interval over the bootstrap's resampled days
    (`indices`, from `bootstrap_indices`)."""
    strategies = np.atleast_2d(np.asarray(strategies, dtype=float).T).T
    benchmarks = np.broadcast_to(np.atleast_2d(np.asarray(benchmarks, dtype=float).T).T, strategies.shape)
    if len(strategies) < 3 or indices.shape[1] != len(strategies):
        raise DataError(f"need the same 3 or more days in the strategies and the bootstrap ({len(strategies)})")
    point = annualised_sharpe(strategies) - annualised_sharpe(benchmarks)
    draws = np.stack([annualised_sharpe(strategies[i]) - annualised_sharpe(benchmarks[i]) for i in indices])
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(draws, [tail, 100.0 - tail], axis=0)
    return [SharpeDifference(float(p), float(lo), float(hi), level) for p, lo, hi in zip(point, low, high, strict=True)]


def spa_pvalue(benchmarks: np.ndarray, strategies: np.ndarray, mean_block: float, reps: int, seed: int) -> float:
    """Hansen's SPA p-value (consistent) of "no column of `strategies` beats its benchmark" on excess returns:
    `benchmarks` is one benchmark (days) or one per column (days x n); each column is scaled to its benchmark's
    volatility (see the module docstring)."""
    from arch.bootstrap import SPA

    strategies = np.atleast_2d(np.asarray(strategies, dtype=float).T).T
    benchmarks = np.broadcast_to(np.atleast_2d(np.asarray(benchmarks, dtype=float).T).T, strategies.shape)
    spreads = strategies.std(axis=0, ddof=1)
    scale = np.where(spreads > 0, benchmarks.std(axis=0, ddof=1) / np.where(spreads > 0, spreads, 1.0), 0.0)
    edge = strategies * scale - benchmarks  # each strategy's excess return over its benchmark's, vol-matched
    if not np.any(edge):
        return 1.0
    spa = SPA(np.zeros(len(edge)), -edge, block_size=round(mean_block), reps=reps, seed=seed)
    spa.compute()
    return float(spa.pvalues["consistent"])


@dataclass(frozen=True)
class Overfitting:
    """CSCV's result: PBO, the logits of the in-sample best's out-of-sample relative rank, and the split."""

    pbo: float
    logits: np.ndarray
    blocks: int
    strategies: int

    def as_dict(self) -> dict:
        return {"pbo": round(self.pbo, 6), "blocks": self.blocks, "strategies": self.strategies,
                "combinations": len(self.logits), "median_logit": round(float(np.median(self.logits)), 6)}  # fmt: skip


def probability_of_backtest_overfitting(excess: np.ndarray, blocks: int = 16) -> Overfitting:
    """CSCV over the columns of `excess` (days x strategies, n >= 2), cut into `blocks` (even) contiguous blocks
    of equal length (the earliest days that do not fill a block are left out)."""
    excess = np.asarray(excess, dtype=float)
    days, n = excess.shape
    if n < 2 or blocks < 2 or blocks % 2 or days < 2 * blocks:
        raise DataError(f"CSCV needs >= 2 strategies, an even number of blocks and 2 days a block "
                        f"({n} strategies, {blocks} blocks, {days} days)")  # fmt: skip
    size = days // blocks
    cut = excess[days - size * blocks :].reshape(blocks, size, n)
    sums, squares = cut.sum(axis=1), (cut**2).sum(axis=1)  # per block and strategy
    chosen = np.array(list(itertools.combinations(range(blocks), blocks // 2)))
    in_sample = np.zeros((len(chosen), blocks))
    np.put_along_axis(in_sample, chosen, 1.0, axis=1)
    count = size * blocks // 2

    def sharpe(weights: np.ndarray) -> np.ndarray:
        total, total_sq = weights @ sums, weights @ squares
        variance = np.maximum((total_sq - total**2 / count) / (count - 1), 0.0)
        sd = np.sqrt(variance)
        return np.where(sd > 0, total / count / np.where(sd > 0, sd, 1.0), 0.0)

    is_sharpe, oos_sharpe = sharpe(in_sample), sharpe(1.0 - in_sample)
    best = np.argmax(is_sharpe, axis=1)
    oos_best = oos_sharpe[np.arange(len(best)), best][:, None]
    rank = 1.0 + (oos_sharpe < oos_best).sum(axis=1) + 0.5 * ((oos_sharpe == oos_best).sum(axis=1) - 1)
    relative = rank / (n + 1.0)
    logits = np.log(relative / (1.0 - relative))
    return Overfitting(float(np.mean(logits <= 0.0)), logits, blocks, n)
