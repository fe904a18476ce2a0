"""Vectorised daily backtest. The position decided at close t earns the return from close t to close t+1.

Row d of the output is the day the return is realised: position = allocation decided at the previous close,
strategy_return_gross = w * r + (1 - w) * rf (cash earns and leverage pays the day's risk-free return rf),
turnover = |w - w_before| traded at that previous close (the first position is bought from cash),
cost = turnover * cost_bps / 10_000, strategy_return = gross - cost. The benchmark is buy-and-hold (w = 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spyglass.errors import DataError
from spyglass.features.targets import daily_risk_free, simple_returns


def run_backtest(
    allocations: pd.DataFrame,
    prices: pd.DataFrame,
    cost_bps: float,
    risk_free_rate: float,
    slippage_bps: float = 0.0,
    position_column: str = "allocation",
) -> pd.DataFrame:
    """Daily backtest frame (BacktestDailySchema) from allocations (date + `position_column`) and prices.

    Costs and slippage are both charged per unit of turnover: cost = turnover * (cost_bps + slippage_bps) / 1e4.
    """
    returns = pd.DataFrame(
        {
            "date": prices["date"],
            "asset_return": simple_returns(prices["adj_close"]),
            # the risk-free return earned over the day ending at this date is the previous date's rate
            "risk_free_return": daily_risk_free(prices, risk_free_rate).shift(1),
        }
    )
    decided = allocations[["date", position_column]].sort_values("date")
    returns = returns.assign(
        position=decided.set_index("date")[position_column].reindex(prices["date"]).shift(1).to_numpy()
    )
    # Days from the first return earned by a decided position up to the last allocation's next day.
    daily = returns.dropna(subset=["position", "asset_return"]).reset_index(drop=True)
    if daily.empty:
        raise DataError("no day has both a decided position and a realised next-day return")
    r = daily["asset_return"].to_numpy()
    core = backtest_arrays(
        daily["position"].to_numpy(), r, daily["risk_free_return"].to_numpy(), cost_bps + slippage_bps
    )
    return pd.DataFrame(
        {
            "date": daily["date"],
            "position": daily["position"].to_numpy(),
            "asset_return": r,
            "risk_free_return": daily["risk_free_return"].to_numpy(),
            **{name: core[name] for name in ("turnover", "cost", "strategy_return_gross", "strategy_return")},
            "benchmark_return": r,
            "equity": core["equity"],
            "benchmark_equity": np.cumprod(1.0 + r),
            "drawdown": core["drawdown"],
        }
    )


def backtest_arrays(
    positions: np.ndarray, asset_returns: np.ndarray, risk_free: np.ndarray | float, cost_bps: float
) -> dict[str, np.ndarray]:
    """The engine on arrays whose last axis is time: one path (1-d) or many (paths x days), all at once.

    positions[t] earns asset_returns[t] (both already aligned: the position decided at the previous close);
    turnover from a flat start; cost = turnover * cost_bps / 1e4. Returns turnover, cost, strategy_return_gross,
    strategy_return, equity and drawdown, each shaped like `positions`.
    """
    w = np.asarray(positions, dtype=float)
    turnover = np.abs(np.diff(w, axis=-1, prepend=0.0))
    gross = w * asset_returns + (1.0 - w) * risk_free
    cost = turnover * (cost_bps / 10_000.0)
    net = gross - cost
    equity = np.cumprod(1.0 + net, axis=-1)
    drawdown = equity / np.maximum.accumulate(equity, axis=-1) - 1.0
    return {"turnover": turnover, "cost": cost, "strategy_return_gross": gross, "strategy_return": net,
            "equity": equity, "drawdown": drawdown}  # fmt: skip


def backtest_with_benchmarks(
    allocations: pd.DataFrame, prices: pd.DataFrame, cost_bps: float, risk_free_rate: float, slippage_bps: float = 0.0
) -> pd.DataFrame:
    """The strategy's daily backtest plus the volatility-target-only benchmark (`allocation_vol_target`, same
    bounds, smoothing and costs) as vol_target_* columns; buy-and-hold is in benchmark_* already."""
    daily = run_backtest(allocations, prices, cost_bps, risk_free_rate, slippage_bps)
    target = run_backtest(allocations, prices, cost_bps, risk_free_rate, slippage_bps, "allocation_vol_target")
    return daily.assign(
        vol_target_position=target["position"].to_numpy(),
        vol_target_return_gross=target["strategy_return_gross"].to_numpy(),
        vol_target_return=target["strategy_return"].to_numpy(),
        vol_target_equity=target["equity"].to_numpy(),
    )
