"""The user's own files: daily bars and option quotes as CSV, in the documented schemas.

Prices CSV: date, open, high, low, close, adj_close (optional: = close when absent), volume; header names are
matched case-insensitively ("Adj Close" works). Chains CSV: the OptionChainSchema columns, one row per quote
(snapshot_time optional), any number of snapshot dates (appended to the store, replacing those dates only).
Indices CSV (optional): date + implied-volatility index closes (spyglass.data.vol_indices.read_indices).
Errors name the file, the column, the file lines and the raw text at fault (spyglass.data.files).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.data.files import read_csv_text
from spyglass.data.simulated import window
from spyglass.data.vol_indices import read_indices
from spyglass.schemas import OptionChainSchema, PricesSchema, validate

DATE_COLUMNS = ("snapshot_date", "expiry", "last_trade_date")


def existing_file(path: str | None, key: str, source: str = "csv") -> Path:
    """`path` as a Path; FileNotFoundError naming the config key when it is not given or not there."""
    if not path:
        raise FileNotFoundError(f"data={source} needs data.{key}=<file.csv>")
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"{file}: not found (data.{key})")
    return file


PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
CHAIN_NUMBERS = ("strike", "bid", "ask", "last", "volume", "open_interest", "provider_iv", "underlying_price")
CHAIN_COLUMNS = ("snapshot_date", "expiry", "option_type", "strike", "bid", "ask", "last", "last_trade_date",
                 "volume", "open_interest", "provider_iv", "underlying_price")  # fmt: skip


def read_prices_csv(path: str | Path) -> pd.DataFrame:
    """Bars from a CSV file, standardised and validated (errors name the file, lines and raw text)."""
    text = read_csv_text(path)
    text.cells.columns = [c.lower().replace(" ", "_") for c in text.cells.columns]
    text.require([c for c in ("date", *PRICE_COLUMNS) if c != "adj_close"], "daily bars")
    if "adj_close" not in text.cells:
        text.cells["adj_close"] = text.cells["close"]
    optional = [c for c in ("risk_free_daily",) if c in text.cells]
    bars = pd.DataFrame({"date": text.dates("date")} | {c: text.numbers(c) for c in (*PRICE_COLUMNS, *optional)})
    return validate(bars, PricesSchema, path, text.lines)


def read_chains_csv(path: str | Path) -> pl.DataFrame:
    """Option quotes from a CSV file, dates parsed, validated against OptionChainSchema. snapshot_time is
    optional (ISO timestamps; naive ones are taken as UTC), and so is root (the contract's root symbol, where
    two roots list the same expiry)."""
    text = read_csv_text(path)
    text.require(CHAIN_COLUMNS, "option quotes")
    columns = {c: text.dates(c).dt.date for c in DATE_COLUMNS} | {c: text.numbers(c) for c in CHAIN_NUMBERS}
    quotes = pl.from_pandas(pd.DataFrame(columns | {"option_type": text.text("option_type")}))
    stamps = pl.Series(text.timestamps("snapshot_time")) if "snapshot_time" in text.cells else pl.lit(None)
    quotes = quotes.with_columns(snapshot_time=stamps).cast({"snapshot_time": pl.Datetime("us", "UTC")})
    roots = ["root"] if "root" in text.cells else []
    if roots:
        roots_text = text.text("root").str.upper().to_numpy(dtype=object)
        quotes = quotes.with_columns(root=pl.Series(roots_text, dtype=pl.Utf8))
    return validate(quotes.select(*CHAIN_COLUMNS, "snapshot_time", *roots), OptionChainSchema, path, text.lines)


def load(data_cfg: dict, seed: int) -> MarketData:
    """Bars in [start, end] from `prices_path`, the quotes in `chains_path` and the indices in `indices_path`."""
    del seed
    prices_file = existing_file(data_cfg.get("prices_path"), "prices_path")
    chains_file = existing_file(data_cfg.get("chains_path"), "chains_path")
    prices = window(read_prices_csv(prices_file), data_cfg.get("start"), data_cfg.get("end"))
    indices = None
    if data_cfg.get("indices_path"):
        indices = read_indices(data_cfg["indices_path"])
    return MarketData(
        prices=prices,
        chains=read_chains_csv(chains_file),
        description=f"user files {prices_file} and {chains_file}"
        + (f" with indices {data_cfg['indices_path']}" if indices is not None else ""),
        vol_indices=indices,
    )
