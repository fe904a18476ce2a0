"""The user's own files: daily bars and option quotes as CSV, in the documented schemas.

Prices CSV: date, open, high, low, close, adj_close (optional: = close when absent), volume; header names are
matched case-insensitively ("Adj Close" works). Chains CSV: the OptionChainSchema columns, one row per quote
(snapshot_time optional), any number of snapshot dates (appended to the store, replacing those dates only).
Indices CSV (optional): date + implied-volatility index closes (spyglass.data.vol_indices.read_indices_csv).
Errors name the file, the column and the rows at fault.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.data.simulated import window
from spyglass.data.vol_indices import read_indices_csv
from spyglass.schemas import OptionChainSchema, PricesSchema, validate

DATE_COLUMNS = ("snapshot_date", "expiry", "last_trade_date")


def _existing(path: str | None, what: str) -> Path:
    if not path:
        raise FileNotFoundError(f"data=csv needs data.{what}=<file.csv>")
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{file}: not found (data.{what})")
    return file


def read_prices_csv(path: str | Path) -> pd.DataFrame:
    """Bars from a CSV file, standardised and validated (errors name the file)."""
    raw = pd.read_csv(path)
    raw.columns = [str(c).strip().lower().replace(" ", "_") for c in raw.columns]
    if "adj_close" not in raw and "close" in raw:
        raw["adj_close"] = raw["close"]
    if "date" in raw:
        raw["date"] = pd.to_datetime(raw["date"], errors="coerce")
    return validate(raw, PricesSchema, path)


def read_chains_csv(path: str | Path) -> pl.DataFrame:
    """Option quotes from a CSV file, dates parsed, validated against OptionChainSchema."""
    raw = pl.read_csv(path, infer_schema_length=10_000)
    dates = [pl.col(c).cast(pl.Utf8).str.to_date(strict=False) for c in DATE_COLUMNS if c in raw.columns]
    if "snapshot_time" in raw.columns:  # ISO timestamps; naive ones are taken as UTC
        stamp = pl.col("snapshot_time").cast(pl.Utf8).str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    else:
        stamp = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    return validate(raw.with_columns(*dates, snapshot_time=stamp), OptionChainSchema, path)


def load(data_cfg: dict, seed: int) -> MarketData:
    """Bars in [start, end] from `prices_path`, the quotes in `chains_path` and the indices in `indices_path`."""
    del seed
    prices_file = _existing(data_cfg.get("prices_path"), "prices_path")
    chains_file = _existing(data_cfg.get("chains_path"), "chains_path")
    prices = window(read_prices_csv(prices_file), data_cfg.get("start"), data_cfg.get("end"))
    indices = None
    if data_cfg.get("indices_path"):
        indices = read_indices_csv(_existing(data_cfg["indices_path"], "indices_path"))
    return MarketData(
        prices=prices,
        chains=read_chains_csv(chains_file),
        description=f"user files {prices_file} and {chains_file}"
        + (f" with indices {data_cfg['indices_path']}" if indices is not None else ""),
        vol_indices=indices,
    )
