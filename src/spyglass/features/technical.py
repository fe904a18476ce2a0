"""Technical features (pandas-ta and numpy), made scale-free: ratios to price, shares, z-scores, annualised vols.

Features come in groups registered under a name; `features.technical.groups` picks them. Every indicator is
causal: row t uses bars up to and including day t. Rows inside the longest warm-up are dropped, never filled.
Groups that need a high/low range or traded volume skip those indicators when `use_range` / `use_volume` is
off (sources whose bars have neither, like the Kaggle file).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandas_ta as ta

from spyglass.daycount import TRADING_DAYS_PER_YEAR
from spyglass.errors import ConfigError, DataError
from spyglass.features.targets import daily_risk_free, forward_excess_log_return, is_target, log_returns, target_column

FeatureGroup = Callable[[pd.DataFrame, dict], dict[str, pd.Series]]
TECHNICAL_GROUPS: dict[str, FeatureGroup] = {}


def indicator_column(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """The one column of a pandas-ta result named `<prefix>_<params>` (e.g. "DMP" -> DMP_14): by name, never by
    position, since pandas-ta's column order differs between versions and indicators."""
    matches = [column for column in frame.columns if column.startswith(f"{prefix}_")]
    if len(matches) != 1:
        raise KeyError(f"pandas-ta result has {len(matches)} column(s) named {prefix}_*: {list(frame.columns)}")
    return frame[matches[0]]


def feature_group(name: str) -> Callable[[FeatureGroup], FeatureGroup]:
    """Register a function (bars, cfg) -> {column: series} as a feature group."""

    def register(fn: FeatureGroup) -> FeatureGroup:
        TECHNICAL_GROUPS[name] = fn
        return fn

    return register


@feature_group("trend")
def trend(bars: pd.DataFrame, cfg: dict) -> dict[str, pd.Series]:
    """close / SMA(n) - 1 and close / EMA(n) - 1; MACD line, signal and histogram over price; ADX and DI+ - DI-
    (shares of 100)."""
    close = bars["adj_close"]
    out = {f"sma_ratio_{n}d": close / ta.sma(close, length=n) - 1.0 for n in cfg["sma_windows"]}
    out |= {f"ema_ratio_{n}d": close / ta.ema(close, length=n) - 1.0 for n in cfg["ema_windows"]}
    macd = ta.macd(close, fast=cfg["macd"]["fast"], slow=cfg["macd"]["slow"], signal=cfg["macd"]["signal"])
    line, histogram, signal = (indicator_column(macd, prefix) for prefix in ("MACD", "MACDh", "MACDs"))
    out |= {"macd_pct": line / close, "macd_signal_pct": signal / close, "macd_hist_pct": histogram / close}
    if cfg["use_range"]:
        adx = ta.adx(bars["high"], bars["low"], bars["close"], length=cfg["adx_length"])
        out["adx"] = indicator_column(adx, "ADX") / 100.0
        out["di_spread"] = (indicator_column(adx, "DMP") - indicator_column(adx, "DMN")) / 100.0
    return out


@feature_group("momentum")
def momentum(bars: pd.DataFrame, cfg: dict) -> dict[str, pd.Series]:
    """RSI and stochastic %K/%D as shares (0..1); rate of change over n days as a decimal."""
    close = bars["adj_close"]
    out = {"rsi": ta.rsi(close, length=cfg["rsi_length"]) / 100.0}
    out |= {f"roc_{n}d": ta.roc(close, length=n) / 100.0 for n in cfg["roc_windows"]}
    if cfg["use_range"]:
        stoch = ta.stoch(bars["high"], bars["low"], bars["close"], k=cfg["stoch"]["k"], d=cfg["stoch"]["d"])
        out |= {
            "stoch_k": indicator_column(stoch, "STOCHk") / 100.0,
            "stoch_d": indicator_column(stoch, "STOCHd") / 100.0,
        }
    return out


@feature_group("volatility")
def volatility(bars: pd.DataFrame, cfg: dict) -> dict[str, pd.Series]:
    """Bollinger %B and bandwidth ((upper - lower) / middle), both pandas-ta's own; realised vol of log returns;
    ATR over price; Parkinson and Garman-Klass range vols (all vols annualised with 252 days)."""
    close = bars["adj_close"]
    bands = ta.bbands(
        close, length=cfg["bbands"]["length"], lower_std=cfg["bbands"]["std"], upper_std=cfg["bbands"]["std"]
    )
    out = {"bb_percent_b": indicator_column(bands, "BBP"), "bb_width": indicator_column(bands, "BBB") / 100.0}
    log_ret = log_returns(close)
    out |= {f"rvol_{n}d": log_ret.rolling(n).std() * np.sqrt(TRADING_DAYS_PER_YEAR) for n in cfg["vol_windows"]}
    if cfg["use_range"]:
        out["atr_pct"] = ta.atr(bars["high"], bars["low"], bars["close"], length=cfg["atr_length"]) / bars["close"]
        hl = np.log(bars["high"] / bars["low"]) ** 2
        co = np.log(bars["close"] / bars["open"]) ** 2
        for n in cfg["range_vol_windows"]:
            out[f"parkinson_vol_{n}d"] = np.sqrt(hl.rolling(n).mean() / (4 * np.log(2)) * TRADING_DAYS_PER_YEAR)
            gk = (0.5 * hl - (2 * np.log(2) - 1) * co).rolling(n).mean().clip(lower=0)
            out[f"garman_klass_vol_{n}d"] = np.sqrt(gk * TRADING_DAYS_PER_YEAR)
    return out


@feature_group("volume")
def volume(bars: pd.DataFrame, cfg: dict) -> dict[str, pd.Series]:
    """z-score of log volume over a window; on-balance-volume flow: OBV change over n days divided by the
    volume traded in them (between -1 and 1). A day reported without volume (0: a missing report) takes the
    day before's, as a missing volume from Yahoo does."""
    if not cfg["use_volume"]:
        return {}
    traded = bars["volume"].where(bars["volume"] > 0).ffill()
    log_volume = np.log(traded)
    rolling = log_volume.rolling(cfg["volume_zscore_window"])
    out = {"volume_z": (log_volume - rolling.mean()) / rolling.std()}
    obv = ta.obv(bars["adj_close"], bars["volume"])
    for n in cfg["obv_windows"]:
        out[f"obv_flow_{n}d"] = obv.diff(n) / traded.rolling(n).sum()
    return out


@feature_group("returns")
def returns(bars: pd.DataFrame, cfg: dict) -> dict[str, pd.Series]:
    """Trailing log returns over n days, and the daily log return lagged k days."""
    log_ret = log_returns(bars["adj_close"])
    out = {f"ret_{n}d": log_ret.rolling(n).sum() for n in cfg["return_windows"]}
    out |= {f"ret_lag_{k}d": log_ret.shift(k) for k in cfg["return_lags"]}
    return out


def longest_window(cfg: dict) -> int:
    """Bars the slowest configured indicator needs for its first value (pandas-ta computes nothing on fewer)."""
    windows = [*cfg["sma_windows"], *cfg["ema_windows"], cfg["macd"]["slow"] + cfg["macd"]["signal"],
               2 * cfg["adx_length"], cfg["rsi_length"], cfg["stoch"]["k"] + 2 * cfg["stoch"]["d"],
               *cfg["roc_windows"], cfg["bbands"]["length"], cfg["atr_length"], *cfg["vol_windows"],
               *cfg["range_vol_windows"], cfg["volume_zscore_window"], *cfg["obv_windows"], *cfg["return_windows"],
               *cfg["return_lags"]]  # fmt: skip
    return int(max(windows))


def technical_features(prices: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Indicator columns of the configured groups for each date of `prices` (PricesSchema); NaN in warm-up."""
    unknown = set(cfg["groups"]) - set(TECHNICAL_GROUPS)
    if unknown:
        raise ConfigError(
            f"unknown technical feature group(s) {sorted(unknown)}; choose from {sorted(TECHNICAL_GROUPS)}"
        )
    needed = longest_window(cfg)
    if len(prices) < needed:
        raise DataError(f"{len(prices)} bars are too few for the configured indicators: the slowest needs "
                        f"at least {needed} (features.technical); fetch a longer history")  # fmt: skip
    columns: dict[str, pd.Series] = {}
    for name in cfg["groups"]:
        columns |= TECHNICAL_GROUPS[name](prices, cfg)
    return pd.concat([prices[["date"]], pd.DataFrame(columns)], axis=1)


def ta_feature_table(
    prices: pd.DataFrame, cfg: dict, risk_free_rate: float, horizon_days: tuple[int, ...] = (1,)
) -> pd.DataFrame:
    """Technical features plus one target per horizon h, `target_ret_<h>d` (the forward h-day excess log return),
    warm-up rows dropped."""
    table = technical_features(prices, cfg)
    risk_free = daily_risk_free(prices, risk_free_rate)
    for h in horizon_days:
        table[target_column(h)] = forward_excess_log_return(prices["adj_close"], risk_free, h)
    feature_columns = [c for c in table.columns if c != "date" and not is_target(c)]
    complete = table[feature_columns].replace([np.inf, -np.inf], np.nan).notna().all(axis=1)
    if not complete.any():
        raise DataError(f"no day of the {len(table)} bars has every technical feature: too few for the warm-up")
    first_complete = int(np.argmax(complete.to_numpy()))
    table = table.iloc[first_complete:].reset_index(drop=True)
    incomplete = ~complete.iloc[first_complete:].to_numpy()
    if incomplete.any():
        dates = table.loc[incomplete, "date"].dt.date.tolist()[:5]
        raise DataError(f"technical features missing after warm-up on {int(incomplete.sum())} day(s), e.g. {dates}")
    return table
