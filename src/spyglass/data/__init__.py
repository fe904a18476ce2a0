"""Data sources by name: each turns its config section into bars, option-chain snapshots, implied-volatility
index histories and extra features."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import polars as pl

from spyglass.data.store import Provenance
from spyglass.errors import ConfigError


@dataclass(frozen=True)
class MarketData:
    """What every provider returns: daily bars (PricesSchema); option quotes (OptionChainSchema) or None for a
    source without options; implied-volatility index histories (VolIndicesSchema: date + vol-point columns) or
    None; extra per-date features the source ships (date + columns) or None; and a report of what the fetch
    dropped, filled or skipped (it goes to metrics/fetch.json)."""

    prices: pd.DataFrame
    chains: pl.DataFrame | None
    description: str
    extra_features: pd.DataFrame | None = None
    vol_indices: pd.DataFrame | None = None
    report: dict = field(default_factory=dict)


Provider = Callable[[dict, int], MarketData]


@dataclass(frozen=True)
class Source:
    """A provider (its module's `load`, imported when called) and what it brings. Simulated sources generate
    their whole chain history on every fetch (the store is rebuilt); real ones observe one day at a time (the
    store is appended to). A live source answers with today's market, so the exchange calendar applies to it."""

    module: str
    simulated: bool
    has_options: bool = True
    live: bool = False

    @property
    def load(self) -> Provider:
        return importlib.import_module(self.module).load


SOURCES = {
    "sample": Source("spyglass.data.sample", simulated=True),
    "synthetic": Source("spyglass.data.synthetic", simulated=True),
    "yfinance": Source("spyglass.data.yfinance", simulated=False, live=True),
    "csv": Source("spyglass.data.csv", simulated=False),
    "cboe": Source("spyglass.data.cboe", simulated=False),
    "kaggle": Source("spyglass.data.kaggle", simulated=False, has_options=False),
}


def source_of(data_cfg: dict) -> Source:
    """The Source named by `data_cfg["source"]`."""
    name = data_cfg["source"]
    if name not in SOURCES:
        raise ConfigError(f"unknown data source {name!r}; choose one of {sorted(SOURCES)}")
    return SOURCES[name]


def answers_today(data_cfg: dict) -> bool:
    """Whether the source answers with today's market (a live source not replaying a recording)."""
    return source_of(data_cfg).live and not data_cfg.get("replay_dir")


def snapshot_provenance(data_cfg: dict) -> Provenance | None:
    """The provenance this source's snapshots carry in the store; None for a source without options."""
    source = source_of(data_cfg)
    if not source.has_options:
        return None
    return Provenance(data_cfg["source"], str(data_cfg["ticker"]), source.simulated)


def load_market_data(data_cfg: dict, seed: int) -> MarketData:
    """Call the provider named by `data_cfg["source"]`."""
    return source_of(data_cfg).load(data_cfg, seed)
