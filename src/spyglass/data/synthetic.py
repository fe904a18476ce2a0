"""Fully synthetic data: a GARCH(1,1)-t price path and chains simulated from the same model. For tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spyglass.data import MarketData
from spyglass.data.simulated import with_simulated_chains
from spyglass.garch import GarchParams, simulate_returns


def synthetic_bars(start: str, end: str, initial_price: float, garch: GarchParams, seed: int) -> pd.DataFrame:
    """Business-day OHLCV bars whose close follows the GARCH path; open/high/low are drawn around it. Prices are
    in cents, like real bars (and so free of the CPU-dependent last bits of exp)."""
    dates = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    log_returns = simulate_returns(len(dates), garch, rng) / 100.0
    close = initial_price * np.exp(np.cumsum(log_returns))
    previous = np.concatenate([[initial_price], close[:-1]])
    open_ = previous * np.exp(0.1 * log_returns * rng.standard_normal(len(dates)))
    spread = np.abs(log_returns) + 0.002 * rng.random(len(dates))
    high = np.maximum(open_, close) * np.exp(0.5 * spread)
    low = np.minimum(open_, close) * np.exp(-0.5 * spread)
    volume = np.round(1e8 * np.exp(0.3 * rng.standard_normal(len(dates)) + 20 * np.abs(log_returns)))
    open_, high, low, close = (np.round(x, 2) for x in (open_, high, low, close))
    return pd.DataFrame(
        {
            "date": dates,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "adj_close": close,
            "volume": volume.astype(float),
        }
    )


def load(data_cfg: dict, seed: int) -> MarketData:
    """Synthetic bars between start and end; chains priced with the true GARCH parameters."""
    garch = GarchParams(**{k: float(v) for k, v in data_cfg["garch"].items()})
    prices = synthetic_bars(data_cfg["start"], data_cfg["end"], float(data_cfg["initial_price"]), garch, seed)
    return with_simulated_chains(prices, data_cfg, seed, description="synthetic GARCH(1,1)-t path", garch=garch)
