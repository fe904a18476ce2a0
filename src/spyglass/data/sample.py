"""Offline default: real index daily bars shipped in `arch` (S&P 500, NASDAQ Composite; 1999-2018) with SIMULATED
option chains."""

from __future__ import annotations

import importlib

import pandas as pd

from spyglass.data import MarketData
from spyglass.data.simulated import window, with_simulated_chains
from spyglass.errors import ConfigError

ARCH_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


# The daily bars `arch` ships, by ticker (1999-01-04 to 2018-12-31 each).
ARCH_BARS = {"^GSPC": ("sp500", "S&P 500"), "^IXIC": ("nasdaq", "NASDAQ Composite")}


def arch_bars(ticker: str = "^GSPC") -> pd.DataFrame:
    """arch's daily bars of `ticker` (a key of ARCH_BARS) with standard lower-case columns and a naive `date`
    column."""
    if ticker not in ARCH_BARS:
        raise ConfigError(f"the sample source has no bars for {ticker!r}; it ships {', '.join(ARCH_BARS)}")
    raw = importlib.import_module(f"arch.data.{ARCH_BARS[ticker][0]}").load()
    bars = raw.rename(columns=ARCH_COLUMNS)[list(ARCH_COLUMNS.values())].astype(float)
    bars.index = pd.to_datetime(bars.index).tz_localize(None).normalize()
    return bars.rename_axis("date").reset_index()


def load(data_cfg: dict, seed: int) -> MarketData:
    """The ticker's bars in [start, end] plus one simulated chain per day after the calibration window."""
    ticker = data_cfg["ticker"]
    prices = window(arch_bars(ticker), data_cfg.get("start"), data_cfg.get("end"))
    return with_simulated_chains(
        prices,
        data_cfg,
        seed,
        description=f"{ARCH_BARS[ticker][1]} daily bars from the arch package; option chains simulated (GARCH-t "
        "vol, calibrated on CBOE's SPX chain of 2022-12-12), volatility indices computed from them (model-free)",
    )
