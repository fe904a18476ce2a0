"""Shared path of the offline providers: bars plus chains simulated from a GARCH forecast fitted causally."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.data.chain_simulator import ChainSpec, simulate_chains
from spyglass.data.vol_indices import indices_source, read_indices
from spyglass.errors import ConfigError
from spyglass.garch import GarchParams, fit_garch, next_day_variance
from spyglass.options.variance_index import VarianceIndexSpec, variance_indices


def percent_log_returns(close: pd.Series) -> np.ndarray:
    """Daily log returns in percent; the first day's return is 0."""
    return 100.0 * np.diff(np.log(close.to_numpy(dtype=float)), prepend=np.log(float(close.iloc[0])))


def with_simulated_chains(
    prices: pd.DataFrame, data_cfg: dict, seed: int, description: str, garch: GarchParams | None = None
) -> MarketData:
    """Attach simulated chains to `prices`, one snapshot per date after the calibration window.

    Without `garch`, parameters are fitted on the first `calibration_days` rows only, so no snapshot depends
    on prices after its own date. The simulated market trades through that window too (its open interest is
    there on the first snapshot); only the snapshots after it are returned. The volatility indices are computed
    from each day's simulated chain by the model-free method (data.model_free_indices), as CBOE computes its
    own from real ones.
    """
    chain_cfg = data_cfg["chains"]
    calibration = int(chain_cfg["calibration_days"])
    if len(prices) <= calibration + 1:
        raise ConfigError(
            f"{len(prices)} price rows leave no snapshot after a {calibration}-day calibration window; "
            "widen data.start/data.end or lower data.chains.calibration_days"
        )
    returns = percent_log_returns(prices["close"])
    params = garch or fit_garch(returns[1 : calibration + 1])
    forecast = next_day_variance(returns, params)
    chains = simulate_chains(
        prices["date"],
        prices["close"].to_numpy(),
        forecast,
        params,
        ChainSpec.from_config(chain_cfg),
        float(data_cfg["risk_free_rate"]),
        float(data_cfg["dividend_yield"]),
        seed,
        first_snapshot=calibration,  # the window's trading builds the open interest of the first snapshot
    )
    if data_cfg.get("indices_path"):  # real index histories replace the ones computed from simulated chains
        return MarketData(prices=prices, chains=chains, vol_indices=read_indices(data_cfg["indices_path"]),
                          description=f"{description}; volatility indices {indices_source(data_cfg)}")  # fmt: skip
    return MarketData(
        prices=prices,
        chains=chains,
        description=description,
        vol_indices=model_free_vol_indices(chains, data_cfg),
    )


def model_free_vol_indices(chains: pl.DataFrame, data_cfg: dict) -> pd.DataFrame:
    """date + vix_<d>d and skew columns (vol and SKEW points) from each snapshot of `chains`."""
    spec = VarianceIndexSpec.from_config(data_cfg["model_free_indices"])
    indices = variance_indices(chains, float(data_cfg["risk_free_rate"]), spec).to_pandas()
    indices = indices.rename(columns={"snapshot_date": "date"})
    indices["date"] = pd.to_datetime(indices["date"])
    return indices


def window(prices: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """Rows with start <= date <= end (either bound may be None)."""
    keep = pd.Series(True, index=prices.index)
    if start:
        keep &= prices["date"] >= pd.Timestamp(start)
    if end:
        keep &= prices["date"] <= pd.Timestamp(end)
    return prices.loc[keep].reset_index(drop=True)
