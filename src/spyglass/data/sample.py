"""Offline default: real S&P 500 daily bars shipped in `arch` (1999-2018) with SIMULATED option chains."""

from __future__ import annotations

import pandas as pd

from spyglass.data import MarketData
from spyglass.data.simulated import window, with_simulated_chains

ARCH_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


def sp500_bars() -> pd.DataFrame:
    """arch's S&P 500 bars with standard lower-case columns and a naive `date` column."""
    from arch.data import sp500

    raw = sp500.load()
    bars = raw.rename(columns=ARCH_COLUMNS)[list(ARCH_COLUMNS.values())].astype(float)
    bars.index = pd.to_datetime(bars.index).tz_localize(None).normalize()
    return bars.rename_axis("date").reset_index()


def load(data_cfg: dict, seed: int) -> MarketData:
    """S&P 500 bars in [start, end] plus one simulated chain per day after the calibration window."""
    prices = window(sp500_bars(), data_cfg.get("start"), data_cfg.get("end"))
    return with_simulated_chains(
        prices,
        data_cfg,
        seed,
        description="S&P 500 daily bars from the arch package; option chains simulated (GARCH-t vol, calibrated "
        "on CBOE's SPX chain of 2022-12-12), volatility indices computed from them (model-free)",
    )
