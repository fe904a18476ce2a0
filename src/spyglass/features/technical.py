"""Technical features with pandas-ta, made scale-free (ratios to price, z-scores) so eras are comparable.

Every indicator is causal: row t uses bars up to and including day t. Rows inside the longest warm-up are
dropped, never filled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as ta

from spyglass.features.targets import TRADING_DAYS_PER_YEAR, daily_risk_free, forward_excess_return, log_returns


def technical_features(prices: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Indicator columns for each date of `prices` (PricesSchema); NaN during warm-up."""
    close, high, low = prices["adj_close"], prices["high"], prices["low"]
    features = pd.DataFrame({"date": prices["date"]})
    features["rsi"] = ta.rsi(close, length=cfg["rsi_length"]) / 100.0

    macd = ta.macd(close, fast=cfg["macd"]["fast"], slow=cfg["macd"]["slow"], signal=cfg["macd"]["signal"])
    macd_line, histogram, signal = (macd.iloc[:, i] for i in range(3))
    features["macd_pct"] = macd_line / close
    features["macd_signal_pct"] = signal / close
    features["macd_hist_pct"] = histogram / close

    bands = ta.bbands(
        close, length=cfg["bbands"]["length"], lower_std=cfg["bbands"]["std"], upper_std=cfg["bbands"]["std"]
    )
    lower, middle, upper = bands.iloc[:, 0], bands.iloc[:, 1], bands.iloc[:, 2]
    features["bb_percent_b"] = (close - lower) / (upper - lower)
    features["bb_width"] = (upper - lower) / middle

    if cfg.get("use_range", True):  # needs real high/low bars
        features["atr_pct"] = ta.atr(high, low, prices["close"], length=cfg["atr_length"]) / prices["close"]

    log_ret = log_returns(close)
    for window in cfg["return_windows"]:
        features[f"ret_{window}d"] = log_ret.rolling(window).sum()
    for window in cfg["vol_windows"]:
        features[f"rvol_{window}d"] = log_ret.rolling(window).std() * np.sqrt(TRADING_DAYS_PER_YEAR)

    if cfg.get("use_volume", True):  # needs traded volume
        log_volume = np.log(prices["volume"].where(prices["volume"] > 0))
        rolling = log_volume.rolling(cfg["volume_zscore_window"])
        features["volume_z"] = (log_volume - rolling.mean()) / rolling.std()
    return features


def ta_feature_table(prices: pd.DataFrame, cfg: dict, risk_free_rate: float) -> pd.DataFrame:
    """Technical features plus `target_ret_1d` (forward excess return), warm-up rows dropped."""
    table = technical_features(prices, cfg)
    table["target_ret_1d"] = forward_excess_return(prices["adj_close"], daily_risk_free(prices, risk_free_rate))
    feature_columns = [c for c in table.columns if c not in ("date", "target_ret_1d")]
    warm = table[feature_columns].replace([np.inf, -np.inf], np.nan).notna().all(axis=1)
    first_complete = int(np.argmax(warm.to_numpy())) if warm.any() else len(table)
    table = table.iloc[first_complete:].reset_index(drop=True)
    incomplete = ~table[feature_columns].replace([np.inf, -np.inf], np.nan).notna().all(axis=1)
    if incomplete.any():
        dates = table.loc[incomplete, "date"].dt.date.tolist()[:5]
        raise ValueError(f"technical features missing after warm-up on {int(incomplete.sum())} day(s), e.g. {dates}")
    return table
