"""Simulated option chains: one snapshot per trading day, priced off a GARCH volatility forecast with a skew.

For each date t the chain uses only information known at close t (spot and the variance forecast made at t),
and its random draws have a fixed shape, so changing prices after t never changes the chain at t.
Prices are Black-Scholes-Merton with continuous dividend yield q (see spyglass.options.black_scholes). Like
real quotes, prices and strikes are in cents and the provider's IV has 4 decimals: the stored chain then does
not carry the last bits of exp/log, which differ between CPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR
from spyglass.garch import GarchParams, mean_variance_over
from spyglass.options.black_scholes import bs_price

MIN_HALF_SPREAD = 0.05
MIN_IV = 0.03


@dataclass(frozen=True)
class ChainSpec:
    """How each simulated chain looks (see conf/data/sample.yaml for each field's meaning)."""

    expiry_days: tuple[int, ...]
    strikes_per_side: int
    strike_step_pct: float
    skew_slope: float
    smile_curvature: float
    iv_noise: float
    half_spread_pct: float

    @classmethod
    def from_config(cls, cfg: dict) -> ChainSpec:
        fields = {k: cfg[k] for k in cls.__dataclass_fields__}
        fields["expiry_days"] = tuple(int(d) for d in fields["expiry_days"])
        return cls(**fields)


def nice_step(raw: np.ndarray) -> np.ndarray:
    """Round each positive step to 1, 2 or 5 times a power of ten (strike grids look like real ones)."""
    power = 10.0 ** np.floor(np.log10(raw))
    mantissa = raw / power
    return power * np.select([mantissa < 1.5, mantissa < 3.5, mantissa < 7.5], [1.0, 2.0, 5.0], 10.0)


def simulate_chains(
    dates: pd.Series,
    spot: np.ndarray,
    next_variance_pct2: np.ndarray,
    garch: GarchParams,
    spec: ChainSpec,
    risk_free_rate: float,
    dividend_yield: float,
    seed: int,
) -> pl.DataFrame:
    """Chains for every date: calls and puts over `spec.expiry_days` and a strike grid around spot.

    `next_variance_pct2[i]` is the GARCH forecast (percent^2 per day) made at close of `dates[i]`.
    """
    rng = np.random.default_rng(seed)
    n_dates, n_exp, n_strikes = len(spot), len(spec.expiry_days), 2 * spec.strikes_per_side + 1
    shape = (n_dates, n_exp, n_strikes, 2)  # last axis: call, put
    iv_shock, last_shock = rng.standard_normal(shape), rng.standard_normal(shape)
    volume_u, oi_u, age_u = rng.random(shape), rng.random(shape), rng.random(shape)

    days = np.asarray(spec.expiry_days, dtype=float)
    maturity = (days / CALENDAR_DAYS_PER_YEAR)[None, :, None, None]
    horizon_trading_days = np.ceil(days * TRADING_DAYS_PER_YEAR / CALENDAR_DAYS_PER_YEAR)
    avg_var = mean_variance_over(next_variance_pct2, garch, horizon_trading_days)  # (dates, expiries)
    atm_iv = (np.sqrt(avg_var * TRADING_DAYS_PER_YEAR) / 100.0)[:, :, None, None]

    s = np.asarray(spot, dtype=float)[:, None, None, None]
    step = nice_step(np.asarray(spot, dtype=float) * spec.strike_step_pct)[:, None, None, None]
    offsets = np.arange(-spec.strikes_per_side, spec.strikes_per_side + 1, dtype=float)[None, None, :, None]
    strike = np.round(np.round(s / step) * step + offsets * step, 2)
    carry = risk_free_rate - dividend_yield
    forward = s * np.exp(carry * maturity)
    moneyness = np.log(strike / forward) / np.sqrt(maturity)
    iv = np.maximum(atm_iv - spec.skew_slope * moneyness + spec.smile_curvature * moneyness**2, MIN_IV)
    iv = np.maximum(iv + spec.iv_noise * iv_shock, MIN_IV)
    is_call = np.array([True, False])[None, None, None, :]
    price = bs_price(s, strike, maturity, risk_free_rate, dividend_yield, iv, is_call)

    half_spread = np.maximum(spec.half_spread_pct * price, MIN_HALF_SPREAD)
    bid = np.floor(np.maximum(price - half_spread, 0.0) * 100.0) / 100.0
    ask = np.ceil((price + half_spread) * 100.0) / 100.0
    last = np.maximum(np.round(price * (1.0 + 0.02 * last_shock), 2), 0.01)

    # Activity falls off away from the money and with maturity; puts trade more when vol is high.
    distance = np.abs(np.log(strike / forward)) / (atm_iv * np.sqrt(maturity))
    put_tilt = np.where(is_call, 1.0, 1.0 + 4.0 * (atm_iv[:, :1] - 0.15).clip(-0.1, 0.4))
    activity = np.exp(-0.5 * distance**2) * put_tilt / np.sqrt(1.0 + 12.0 * maturity)
    volume = _poisson_from_uniform(2000.0 * activity, volume_u)
    open_interest = _poisson_from_uniform(15000.0 * activity * (1.0 + 4.0 * maturity), oi_u)

    snapshot = pd.to_datetime(dates).to_numpy().astype("datetime64[D]")
    expiry = snapshot[:, None] + days.astype("timedelta64[D]")[None, :]
    # Contracts that did not trade today last traded up to 30 calendar days ago.
    trade_age = np.where(volume > 0, 0, np.floor(age_u * 30)).astype("timedelta64[D]")
    full = np.broadcast_to
    return pl.DataFrame(
        {
            "snapshot_date": full(snapshot[:, None, None, None], shape).ravel(),
            "expiry": full(expiry[:, :, None, None], shape).ravel(),
            "option_type": full(np.where(is_call, "call", "put"), shape).ravel(),
            "strike": full(strike, shape).ravel(),
            "bid": bid.ravel(),
            "ask": ask.ravel(),
            "last": last.ravel(),
            "last_trade_date": (full(snapshot[:, None, None, None], shape) - trade_age).ravel(),
            "volume": np.where(volume > 0, volume, np.nan).ravel(),  # like Yahoo: no trades today -> missing
            "open_interest": open_interest.ravel(),
            "provider_iv": np.round(iv, 4).ravel(),  # quoted to 4 decimals, as CBOE's files give it
            "underlying_price": full(s, shape).ravel(),
        }
    ).with_columns(
        pl.col("snapshot_date", "expiry", "last_trade_date").cast(pl.Date),
        pl.col("volume").fill_nan(None),
        # taken at the close: 16:00 New York time
        snapshot_time=pl.col("snapshot_date")
        .cast(pl.Datetime("us"))
        .dt.offset_by("16h")
        .dt.replace_time_zone("America/New_York")
        .dt.convert_time_zone("UTC"),
    )


def _poisson_from_uniform(mean: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Poisson-like counts from pre-drawn uniforms (normal approximation, floored at zero)."""
    from scipy.special import ndtri

    return np.maximum(np.round(mean + np.sqrt(mean) * ndtri(np.clip(uniform, 1e-12, 1 - 1e-12))), 0.0)
