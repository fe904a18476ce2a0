"""Readable names for feature columns, for charts, pickers and legends: `readable("sma_ratio_50d")` is
"close / 50-day SMA". Names no rule knows (a user CSV's columns) come back with spaces for underscores."""

from __future__ import annotations

import re

EXACT = {
    "macd_pct": "MACD, % of price",
    "macd_signal_pct": "MACD signal, % of price",
    "macd_hist_pct": "MACD histogram, % of price",
    "adx": "ADX (trend strength)",
    "di_spread": "+DI minus −DI",
    "rsi": "RSI",
    "stoch_k": "stochastic %K",
    "stoch_d": "stochastic %D",
    "bb_percent_b": "Bollinger %B",
    "bb_width": "Bollinger band width",
    "atr_pct": "ATR, % of price",
    "volume_z": "volume z-score",
    "vix_level": "30-day implied vol (VIX method)",
    "vrp_30d": "variance risk premium, 30 days",
    "vol_of_vol": "vol of vol (VVIX / VIX)",
    "skew_index": "SKEW index (risk-neutral skewness)",
    "pcr_volume": "put/call ratio, volume",
    "pcr_oi": "put/call ratio, open interest",
    "dealer_delta_usd": "dealer delta, USD",
    "gex_usd_per_pct": "net dealer gamma, USD per 1 % move",
    "vanna_usd_per_vol_pt": "dealer vanna, USD per vol point",
    "charm_usd_per_day": "dealer charm, USD per day",
    "chain_vega_usd_per_vol_pt": "chain vega, USD per vol point",
    "chain_theta_usd_per_day": "chain theta, USD per day",
    "iv_skew_30d": "30-day skew (OTM put − OTM call IV)",
    "iv_term_slope": "ATM IV term slope",
    "gamma_flip": "gamma flip",
    "gamma_flip_distance": "gamma flip, distance from spot",
    "call_wall": "call wall",
    "put_wall": "put wall",
    "call_wall_distance": "call wall, distance from spot",
    "put_wall_distance": "put wall, distance from spot",
    "n_contracts": "contracts quoted",
    "n_priced": "contracts priced",
    "spot": "spot",
}
PATTERNS = [
    (r"sma_ratio_(\d+)d", "close / {0}-day SMA"),
    (r"ema_ratio_(\d+)d", "close / {0}-day EMA"),
    (r"roc_(\d+)d", "{0}-day rate of change"),
    (r"rvol_(\d+)d", "{0}-day realised vol"),
    (r"parkinson_vol_(\d+)d", "{0}-day Parkinson vol"),
    (r"garman_klass_vol_(\d+)d", "{0}-day Garman-Klass vol"),
    (r"obv_flow_(\d+)d", "{0}-day on-balance volume flow"),
    (r"ret_lag_(\d+)d", "daily return, lag {0}"),
    (r"ret_(\d+)d", "{0}-day return"),
    (r"vix_ratio_(\d+)d_(\d+)d", "implied vol {0}-day / {1}-day"),
    (r"vix_change_(\d+)d", "{0}-day change of 30-day implied vol"),
    (r"vix_z_(\d+)d", "30-day implied vol, z-score over {0} days"),
    (r"iv_atm_(\d+)d", "ATM implied vol, {0} days"),
    (r"rr_(\d+)d_(\d+)d", "{1}-day {0}-delta risk reversal"),
    (r"pcr_(volume|oi)_(\d+)_(\d+)d", "put/call ratio, {0}, {1}–{2} days"),
    (r"pcr_(volume|oi)_(\d+)d_plus", "put/call ratio, {0}, {1}+ days"),
    (r"vix_(\d+)d", "model-free implied vol, {0} days"),
]
_COMPILED = [(re.compile(rf"^{pattern}$"), label) for pattern, label in PATTERNS]


def readable(column: str) -> str:
    """A feature column's name as a trader would say it."""
    if column in EXACT:
        return EXACT[column]
    for pattern, label in _COMPILED:
        match = pattern.match(column)
        if match:
            words = [{"oi": "open interest"}.get(group, group) for group in match.groups()]
            return label.format(*words)
    return column.replace("_", " ")
