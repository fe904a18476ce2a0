"""The latest day as the fetch stage stored it, for the daily run and the app's refresh on a simulated source.

A simulated source is deterministic: for the data config and seed the fetch stage ran with (their hash is in
`metrics/fetch.json`), its stored bars, volatility indices and latest snapshot are exactly what the source would
generate again, and reading them takes a fraction of a second instead of re-simulating the whole chain history.
When the config changed since the fetch, or an output is missing, there is no stored day and the caller loads
through the source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.config import data_hash
from spyglass.data import MarketData, source_of
from spyglass.data.store import partition_files
from spyglass.io import read_table
from spyglass.schemas import OptionChainSchema, PricesSchema, VolIndicesSchema, validate


def stored_latest_day(cfg: dict, root: str | Path = ".") -> MarketData | None:
    """Bars, indices and the latest snapshot as stored by the fetch stage for this very data config; None for a
    real source (it must be asked), a changed config or a missing output."""
    if not source_of(cfg["data"]).simulated:
        return None
    root, paths = Path(root), cfg["paths"]
    fetch_path, prices_path = root / paths["metrics_dir"] / "fetch.json", root / paths["prices"]
    partitions = partition_files(root / paths["options_store"])
    if not (fetch_path.exists() and prices_path.exists() and partitions):
        return None
    fetched = json.loads(fetch_path.read_text())
    if fetched.get("data_hash") != data_hash(cfg):
        return None
    indices_path = root / paths["vol_indices"]
    indices = read_table(indices_path, VolIndicesSchema) if indices_path.exists() else None
    chain = validate(pl.read_parquet(partitions[-1]), OptionChainSchema, partitions[-1])
    return MarketData(
        prices=read_table(prices_path, PricesSchema),
        chains=chain,
        description=f"{fetched['description']}; its latest day as the fetch stage stored it",
        vol_indices=indices if indices is not None and indices.shape[1] > 1 else None,
        extra_features=_extra(root / paths["extra_features"]),
    )


def _extra(path: Path) -> pd.DataFrame | None:
    extra = pd.read_parquet(path) if path.exists() else None
    return extra if extra is not None and extra.shape[1] > 1 else None
