"""Every technical feature against an independent textbook computation (plain numpy loops, no pandas-ta).

Wilder-smoothed indicators (RSI, ATR, ADX, DI) depend on how the recursion is seeded; the seed's weight decays
as (1 - 1/n)^k, so they are compared after 300 rows, where it is below 1e-9. Everything else is compared on
every row both define.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.features.technical import technical_features

N_BARS = 420
SETTLED = 300  # rows after which a Wilder seed no longer matters
CFG = {
    "groups": ["trend", "momentum", "volatility", "volume", "returns"],
    "use_range": True,
    "use_volume": True,
    "sma_windows": [10, 50],
    "ema_windows": [12],
    "macd": {"fast": 12, "slow": 26, "signal": 9},
    "adx_length": 14,
    "rsi_length": 14,
    "stoch": {"k": 14, "d": 3},
    "roc_windows": [5],
    "bbands": {"length": 20, "std": 2.0},
    "atr_length": 14,
    "vol_windows": [21],
    "range_vol_windows": [21],
    "volume_zscore_window": 63,
    "obv_windows": [21],
    "return_windows": [5],
    "return_lags": [2],
}


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.012, N_BARS)))
    open_ = close * np.exp(rng.normal(0, 0.004, N_BARS))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, N_BARS)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, N_BARS)))
    volume = rng.integers(1_000_000, 5_000_000, N_BARS).astype(float)
    return pd.DataFrame(
        {
            "date": pd.bdate_range("2015-01-02", periods=N_BARS),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "adj_close": close,
            "volume": volume,
        }
    )


@pytest.fixture(scope="module")
def features(bars) -> pd.DataFrame:
    return technical_features(bars, CFG)


def trailing(values: np.ndarray, n: int, fn) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for t in range(n - 1, len(values)):
        out[t] = fn(values[t - n + 1 : t + 1])
    return out


def sma(values: np.ndarray, n: int) -> np.ndarray:
    return trailing(values, n, np.mean)


def ema(values: np.ndarray, n: int) -> np.ndarray:
    """EMA with alpha 2/(n+1), seeded with the mean of the first n defined values."""
    out = np.full(len(values), np.nan)
    first = int(np.argmax(~np.isnan(values)))
    seed_at = first + n - 1
    out[seed_at] = values[first : seed_at + 1].mean()
    alpha = 2.0 / (n + 1)
    for t in range(seed_at + 1, len(values)):
        out[t] = alpha * values[t] + (1 - alpha) * out[t - 1]
    return out


def wilder(values: np.ndarray, n: int) -> np.ndarray:
    """Wilder's smoothing: mean of the first n defined values, then m_t = m_(t-1) + (x_t - m_(t-1)) / n."""
    out = np.full(len(values), np.nan)
    first = int(np.argmax(~np.isnan(values)))
    seed_at = first + n - 1
    out[seed_at] = values[first : seed_at + 1].mean()
    for t in range(seed_at + 1, len(values)):
        out[t] = out[t - 1] + (values[t] - out[t - 1]) / n
    return out


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    previous = np.r_[np.nan, close[:-1]]
    tr = np.maximum.reduce([high - low, np.abs(high - previous), np.abs(low - previous)])
    tr[0] = np.nan
    return tr


def directional(bars: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wilder's DI+, DI- and ADX in percent."""
    high, low, close = (bars[c].to_numpy() for c in ("high", "low", "close"))
    up = np.r_[np.nan, np.diff(high)]
    down = np.r_[np.nan, -np.diff(low)]
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    plus_dm[0] = minus_dm[0] = np.nan
    atr = wilder(true_range(high, low, close), n)
    di_plus = 100 * wilder(plus_dm, n) / atr
    di_minus = 100 * wilder(minus_dm, n) / atr
    dx = 100 * np.abs(di_plus - di_minus) / (di_plus + di_minus)
    return di_plus, di_minus, wilder(dx, n)


def assert_matches(actual: pd.Series, expected: np.ndarray, start: int = 0, rtol: float = 1e-9) -> None:
    actual = actual.to_numpy()[start:]
    expected = expected[start:]
    both = ~np.isnan(actual) & ~np.isnan(expected)
    assert both.sum() >= 50, "too few rows defined to compare"
    np.testing.assert_allclose(actual[both], expected[both], rtol=rtol, atol=1e-12)


def test_moving_average_ratios(bars, features):
    close = bars["adj_close"].to_numpy()
    assert_matches(features["sma_ratio_10d"], close / sma(close, 10) - 1)
    assert_matches(features["sma_ratio_50d"], close / sma(close, 50) - 1)
    assert_matches(features["ema_ratio_12d"], close / ema(close, 12) - 1)


def test_macd_line_signal_and_histogram(bars, features):
    close = bars["adj_close"].to_numpy()
    line = ema(close, 12) - ema(close, 26)
    signal = ema(line, 9)
    assert_matches(features["macd_pct"], line / close)
    assert_matches(features["macd_signal_pct"], signal / close)
    assert_matches(features["macd_hist_pct"], (line - signal) / close)


def test_adx_and_directional_spread(bars, features):
    di_plus, di_minus, adx = directional(bars, 14)
    assert_matches(features["di_spread"], (di_plus - di_minus) / 100, start=SETTLED, rtol=1e-7)
    assert_matches(features["adx"], adx / 100, start=SETTLED, rtol=1e-7)


def test_rsi_is_wilders(bars, features):
    change = np.r_[np.nan, np.diff(bars["adj_close"].to_numpy())]
    gain, loss = wilder(np.clip(change, 0, None), 14), wilder(np.clip(-change, 0, None), 14)
    assert_matches(features["rsi"], gain / (gain + loss), start=SETTLED, rtol=1e-7)


def test_rate_of_change_and_returns(bars, features):
    close = bars["adj_close"].to_numpy()
    roc = np.r_[np.full(5, np.nan), close[5:] / close[:-5] - 1]
    assert_matches(features["roc_5d"], roc)
    assert_matches(features["ret_5d"], np.log(roc + 1))
    daily = np.r_[np.nan, np.log(close[1:] / close[:-1])]
    assert_matches(features["ret_lag_2d"], np.r_[np.nan, np.nan, daily[:-2]])


def test_stochastic_k_and_d(bars, features):
    high, low, close = (bars[c].to_numpy() for c in ("high", "low", "close"))
    raw = 100 * (close - trailing(low, 14, np.min)) / (trailing(high, 14, np.max) - trailing(low, 14, np.min))
    k = trailing(raw, 3, np.mean)
    d = trailing(k, 3, np.mean)
    assert_matches(features["stoch_k"], k / 100)
    assert_matches(features["stoch_d"], d / 100)


def test_bollinger_percent_b_and_bandwidth(bars, features):
    close = bars["adj_close"].to_numpy()
    middle = sma(close, 20)
    deviation = trailing(close, 20, lambda w: np.std(w, ddof=1))
    lower, upper = middle - 2 * deviation, middle + 2 * deviation
    assert_matches(features["bb_percent_b"], (close - lower) / (upper - lower))
    assert_matches(features["bb_width"], (upper - lower) / middle)


def test_volatilities(bars, features):
    high, low, open_, close = (bars[c].to_numpy() for c in ("high", "low", "open", "close"))
    daily = np.r_[np.nan, np.log(close[1:] / close[:-1])]
    assert_matches(features["rvol_21d"], trailing(daily, 21, lambda w: np.std(w, ddof=1)) * np.sqrt(252))
    assert_matches(features["atr_pct"], wilder(true_range(high, low, close), 14) / close, start=SETTLED, rtol=1e-7)
    hl, co = np.log(high / low) ** 2, np.log(close / open_) ** 2
    assert_matches(features["parkinson_vol_21d"], np.sqrt(sma(hl, 21) / (4 * np.log(2)) * 252))
    garman_klass = sma(0.5 * hl - (2 * np.log(2) - 1) * co, 21)
    assert_matches(features["garman_klass_vol_21d"], np.sqrt(np.clip(garman_klass, 0, None) * 252))


def test_volume_z_score_and_obv_flow(bars, features):
    close, volume = bars["adj_close"].to_numpy(), bars["volume"].to_numpy()
    log_volume = np.log(volume)
    z = (log_volume - sma(log_volume, 63)) / trailing(log_volume, 63, lambda w: np.std(w, ddof=1))
    assert_matches(features["volume_z"], z)
    signed = np.r_[np.nan, np.sign(np.diff(close)) * volume[1:]]
    assert_matches(features["obv_flow_21d"], trailing(signed, 21, np.sum) / trailing(volume, 21, np.sum))


def test_a_day_without_reported_volume_takes_the_day_befores(bars):
    """Real bars report a volume of 0 now and then (the NASDAQ Composite on 2015-05-12 and 2018-01-09 in arch's
    history): a missing report, not a day without trading. It takes the day before's volume, as a missing volume
    from Yahoo does, instead of leaving the volume features undefined for a whole window."""
    gap = bars.copy()
    gap.loc[200, "volume"] = 0.0
    filled = bars.copy()
    filled.loc[200, "volume"] = bars.loc[199, "volume"]
    with_gap, expected = technical_features(gap, CFG), technical_features(filled, CFG)
    assert with_gap["volume_z"].iloc[100:].notna().all()
    pd.testing.assert_series_equal(with_gap["volume_z"], expected["volume_z"])


def test_every_feature_has_a_known_value_test(features):
    checked = {
        "sma_ratio_10d", "sma_ratio_50d", "ema_ratio_12d", "macd_pct", "macd_signal_pct", "macd_hist_pct",
        "adx", "di_spread", "rsi", "roc_5d", "ret_5d", "ret_lag_2d", "stoch_k", "stoch_d", "bb_percent_b",
        "bb_width", "rvol_21d", "atr_pct", "parkinson_vol_21d", "garman_klass_vol_21d", "volume_z", "obv_flow_21d",
    }  # fmt: skip
    assert set(features.columns) - {"date"} == checked


@pytest.mark.parametrize("rows", [1, 150])
def test_a_history_shorter_than_the_warm_up_is_a_clear_error(bars, rows):
    from spyglass.errors import DataError

    cfg = CFG | {"sma_windows": [10, 200]}
    with pytest.raises(DataError, match=rf"{rows} bars are too few .* needs at least 200 "):
        technical_features(bars.head(rows), cfg)
