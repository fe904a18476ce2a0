"""Data providers by name: each turns its config section into prices and option-chain snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import polars as pl


@dataclass(frozen=True)
class MarketData:
    """What every provider returns: daily bars (PricesSchema), option quotes (OptionChainSchema) or None for a
    source without options, and extra per-date features the source ships (date + columns) or None."""

    prices: pd.DataFrame
    chains: pl.DataFrame | None
    description: str
    # "replace_all": the chains are a whole (simulated) history that replaces the store;
    # "append": the chains are new snapshots added to the store, earlier partitions untouched.
    snapshot_mode: str = "replace_all"
    extra_features: pd.DataFrame | None = None


Provider = Callable[[dict, int], MarketData]


def _registry() -> dict[str, Provider]:
    from spyglass.data import csv, kaggle, sample, synthetic, yfinance

    return {
        "sample": sample.load,
        "synthetic": synthetic.load,
        "yfinance": yfinance.load,
        "csv": csv.load,
        "kaggle": kaggle.load,
    }


def load_market_data(data_cfg: dict, seed: int) -> MarketData:
    """Call the provider named by `data_cfg["source"]`."""
    providers = _registry()
    source = data_cfg["source"]
    if source not in providers:
        raise ValueError(f"unknown data source {source!r}; choose one of {sorted(providers)}")
    return providers[source](data_cfg, seed)
