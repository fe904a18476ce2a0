"""Simulated option chains that behave like a market's, calibrated on a real chain (conf/data/calibration/).

- **Calendar**: each day lists the next `weeklies` Fridays, the next `monthlies` third Fridays and the quarterly
  (March, June, September, December) third Fridays within `quarterly_months`.
- **Strike grid**: fixed per expiry when it is listed (a "nice" step sized so the window holds about
  `strikes_per_expiry` strikes); each day shows the grid's strikes inside the window of moneyness
  z = ln(K/F)/(sigma sqrt(T)) where the calibration chain traded (2.5 % of put volume below, 2.5 % of call
  volume above).
- **Flows**: each day's volume at a strike follows the calibrated location of calls (just above the forward)
  and puts (well below), heavier on round strikes, falling with maturity as days^b, rising with the day's
  |return| (`activity_per_abs_return`), and with puts in more demand when volatility is high
  (`put_demand_vol_elasticity`, around the calibration's put/call volume ratio at its 30-day IV).
- **Open interest** accumulates each expiry's past volume where it traded (puts held longer, by the
  calibration's OI-to-volume put/call ratios; `oi_decay_per_day` closes positions), as published the morning
  after: so it sits where spot was, and a fall into the puts' strikes turns dealer gamma negative.
- **Smile**: the GARCH forecast's at-the-money vol for each maturity with the calibrated skew and curvature by
  maturity, the skew steeper when vol is high (`skew_vol_elasticity`); quotes are Black-Scholes-Merton prices
  in cents around it.

Causal and deterministic: the chain of day t uses spot, returns and variance forecasts up to t only, and every
random draw is a hash of (seed, day, expiry, strike, side, stream), so no price after t can change it. Like real
quotes, prices and strikes are in cents and the provider's IV has 4 decimals: the stored chain then does not
carry the last bits of exp/log, which differ between CPUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
from scipy.signal import lfilter
from scipy.special import ndtr, ndtri

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR
from spyglass.garch import GarchParams, mean_variance_over
from spyglass.options.black_scholes import bs_price

MIN_HALF_SPREAD = 0.05
MIN_IV = 0.03
SMILE_REACH = 2.0
ROUND_UNITS = {"every_100": 0.025, "every_25": 0.00625}  # SPX's 100 and 25 at 4,000, as shares of spot
STREAMS = {"volume": 1, "iv": 2, "last": 3, "age": 4, "opened": 5, "wave": 6}


@dataclass(frozen=True)
class ChainSpec:
    """How the simulated chains look and move (conf/data/sample.yaml, data.chains, for each field's meaning)."""

    weeklies: int
    monthlies: int
    quarterly_months: int
    strikes_per_expiry: int
    contracts_per_day: float
    activity_per_abs_return: float
    put_demand_vol_elasticity: float
    skew_vol_elasticity: float
    oi_decay_per_day: float
    opened_per_traded: float
    put_volume_noise: float
    iv_noise: float
    half_spread_pct: float
    calibration: dict

    @classmethod
    def from_config(cls, cfg: dict) -> ChainSpec:
        return cls(**{k: cfg[k] for k in cls.__dataclass_fields__})


def nice_step(raw: np.ndarray) -> np.ndarray:
    """Round each positive step to 1, 2 or 5 times a power of ten (strike grids look like real ones)."""
    power = 10.0 ** np.floor(np.log10(raw))
    mantissa = raw / power
    return power * np.select([mantissa < 1.5, mantissa < 3.5, mantissa < 7.5], [1.0, 2.0, 5.0], 10.0)


def third_fridays(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The third Friday of every month from `start`'s month to `end`'s."""
    months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
    return pd.DatetimeIndex([m + pd.offsets.WeekOfMonth(week=2, weekday=4) for m in months])


def listed_expiries(dates: pd.DatetimeIndex, spec: ChainSpec) -> pd.DataFrame:
    """(snapshot index, expiry) of every expiry listed on each date, from the date's calendar alone."""
    horizon = dates[-1] + pd.DateOffset(months=max(spec.quarterly_months, spec.monthlies) + 4)
    fridays = pd.date_range(dates[0], horizon, freq="W-FRI").to_numpy()
    monthly = third_fridays(dates[0], horizon)
    quarterly = monthly[monthly.month.isin([3, 6, 9, 12])].to_numpy()
    day = dates.to_numpy()
    pairs = []
    for listed, count in ((fridays, spec.weeklies), (monthly.to_numpy(), spec.monthlies)):
        first = np.searchsorted(listed, day, side="right")
        index = first[:, None] + np.arange(count)[None, :]
        pairs.append((np.repeat(np.arange(len(day)), count), listed[index.ravel()]))
    first = np.searchsorted(quarterly, day, side="right")
    for k in range(spec.quarterly_months // 3 + 1):
        expiry = quarterly[np.minimum(first + k, len(quarterly) - 1)]
        within = expiry <= (dates + pd.DateOffset(months=spec.quarterly_months)).to_numpy()
        pairs.append((np.arange(len(day))[within], expiry[within]))
    frame = pd.DataFrame({"i": np.concatenate([p[0] for p in pairs]), "expiry": np.concatenate([p[1] for p in pairs])})
    return frame.drop_duplicates().sort_values(["expiry", "i"], ignore_index=True)  # an expiry's days ascending


def hashed_uniform(seed: int, *keys: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1) from splitmix64 over (seed, *keys): the same keys give the same draw, whatever else is
    drawn, so a day's chain never depends on how many rows other days have."""
    with np.errstate(over="ignore"):
        state = np.full(np.broadcast(*keys).shape, np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
        for key in keys:
            state = _splitmix(state ^ np.asarray(key).astype(np.int64).astype(np.uint64))
    return ((state >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """One splitmix64 step; uint64 arithmetic wraps modulo 2^64 by itself."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class Market:
    """Per snapshot: spot, the GARCH forecast, the 30-day at-the-money vol and how busy the day is
    (1 + kappa |return| / its forecast sd); with the variance model and the carry r - q for pricing."""

    dates: pd.DatetimeIndex
    spot: np.ndarray
    next_variance: np.ndarray  # GARCH forecast (percent^2 per day) made at each close
    atm_30d: np.ndarray
    activity: np.ndarray
    garch: GarchParams
    risk_free_rate: float
    dividend_yield: float

    def vol_ratio(self, rows: np.ndarray) -> np.ndarray:
        """The 30-day vol over its long-run level: the calibration's ratios hold at 1 (a normal day)."""
        return self.atm_30d[rows] / (np.sqrt(self.garch.long_run_variance * TRADING_DAYS_PER_YEAR) / 100.0)

    def atm_vol(self, rows: np.ndarray, calendar_days: np.ndarray) -> np.ndarray:
        """Annualised at-the-money vol over `calendar_days` from each row's forecast (elementwise)."""
        return atm_vol(self.next_variance[rows], self.garch, calendar_days)


def atm_vol(next_variance: np.ndarray, garch: GarchParams, calendar_days: np.ndarray) -> np.ndarray:
    """Annualised vol expected over `calendar_days` from each next-day forecast (percent^2 a day; elementwise)."""
    horizon = np.ceil(np.asarray(calendar_days) * TRADING_DAYS_PER_YEAR / CALENDAR_DAYS_PER_YEAR)[:, None]
    return np.sqrt(mean_variance_over(next_variance, garch, horizon)[:, 0] * TRADING_DAYS_PER_YEAR) / 100.0


def market_state(dates, spot, next_variance, garch: GarchParams, spec: ChainSpec, r: float, q: float) -> Market:
    """What each day's chain is built from, known at that day's close."""
    spot, next_variance = np.asarray(spot, dtype=float), np.asarray(next_variance, dtype=float)
    returns = 100.0 * np.diff(np.log(spot), prepend=np.log(spot[0]))
    sd_today = np.sqrt(np.concatenate([next_variance[:1], next_variance[:-1]]))  # forecast made the day before
    activity = 1.0 + spec.activity_per_abs_return * np.abs(returns) / sd_today
    atm_30d = atm_vol(next_variance, garch, np.full(len(spot), 30.0))
    return Market(pd.DatetimeIndex(dates), spot, next_variance, atm_30d, activity, garch, r, q)


def _smile_by_days(calibration: dict, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The calibrated (skew, curvature) of each row's maturity bucket."""
    buckets = calibration["smile"]
    edges = np.array([b["max_days"] for b in buckets[:-1]], dtype=float)
    index = np.searchsorted(edges, days, side="left")
    return np.array([b["skew"] for b in buckets])[index], np.array([b["curvature"] for b in buckets])[index]


def _round_weight(strike: np.ndarray, spot_listed: float, weights: dict) -> np.ndarray:
    """The calibrated weight of round strikes (multiples of ~2.5 % and ~0.625 % of spot at listing), else 1."""
    weight = np.ones_like(strike)
    for name in ("every_25", "every_100"):  # the rounder unit last, so it wins
        unit = float(nice_step(np.array([spot_listed * ROUND_UNITS[name]]))[0])
        weight = np.where(np.isclose(np.round(strike / unit) * unit, strike), weights[name], weight)
    return weight


def _density(z: np.ndarray, where: dict, window: tuple[float, float]) -> np.ndarray:
    """A normal density in z (center, width) truncated to the listed window: the sides' totals keep the
    calibrated put/call ratios whatever their widths and however much of them the window cuts off."""
    inside = ndtr((window[1] - where["center"]) / where["width"]) - ndtr((window[0] - where["center"]) / where["width"])
    return np.exp(-0.5 * ((z - where["center"]) / where["width"]) ** 2) / (where["width"] * inside)


def expiry_quotes(market: Market, rows: np.ndarray, expiry: np.datetime64, spec: ChainSpec, seed: int) -> pd.DataFrame:
    """Every quoted (day, strike, side) of one expiry over its life (`rows`: its days, ascending): the strike,
    the maturity, the ATM vol, volume and open interest (the quote columns come later)."""
    cal = spec.calibration
    spot, dates = market.spot[rows], market.dates[rows]
    days = (pd.Timestamp(expiry) - dates).days.to_numpy().astype(float)
    t = days / CALENDAR_DAYS_PER_YEAR
    sigma = market.atm_vol(rows, days)
    window = z_low, z_high = cal["volume_z"]["put"]["low"], cal["volume_z"]["call"]["high"]
    width_at_listing = spot[0] * (z_high - z_low) * sigma[0] * np.sqrt(t[0])
    step = float(nice_step(np.array([width_at_listing / spec.strikes_per_expiry]))[0])
    low = np.floor(spot * np.exp(z_low * sigma * np.sqrt(t)) / step)
    high = np.ceil(spot * np.exp(z_high * sigma * np.sqrt(t)) / step)
    grid = np.arange(max(low.min(), 1.0), high.max() + 1.0)  # strikes stay positive after a crash
    strike = np.round(grid * step, 2)[None, :]
    # A strike is listed once spot comes near it, and stays listed until the expiry (as exchanges do).
    shown = np.maximum.accumulate((grid[None, :] >= low[:, None]) & (grid[None, :] <= high[:, None]), axis=0)
    forward = spot * np.exp((market.risk_free_rate - market.dividend_yield) * t)
    z = np.log(strike / forward[:, None]) / (sigma * np.sqrt(t))[:, None]
    weight = {name: _round_weight(strike, spot[0], cal["roundness"][name]) for name in ("volume", "open_interest")}
    maturity = (np.maximum(days, 1.0) / 30.0) ** cal["volume_maturity_exponent"]
    put_demand = cal["put_call_volume_ratio"] * market.vol_ratio(rows) ** spec.put_demand_vol_elasticity
    hold = {"call": 1.0, "put": cal["put_call_oi_ratio"] / cal["put_call_volume_ratio"]}
    day_key = dates.to_numpy().astype("datetime64[D]").astype(np.int64)[:, None]
    expiry_key = np.datetime64(expiry, "D").astype(np.int64)
    strike_key = np.round(strike * 100).astype(np.int64)
    keep = np.nonzero(shown)
    columns = {"i": rows[keep[0]], "days": days[keep[0]], "sigma": sigma[keep[0]], "strike": strike[0, keep[1]]}
    day_flow = spec.contracts_per_day * (market.activity[rows] * maturity)[:, None]
    # The day's put demand also varies on its own (hedging comes in waves): volume only, not positions.
    put_wave = np.exp(spec.put_volume_noise * ndtri(hashed_uniform(seed, day_key, STREAMS["wave"])))
    frames = []
    for side_key, side in enumerate(("call", "put")):
        demand = put_demand[:, None] if side == "put" else 1.0
        keys = (day_key, expiry_key, strike_key, side_key)
        traded = _density(z, cal["volume_z"][side], window) * weight["volume"] * (put_wave if side == "put" else 1.0)
        volume = _poisson_from_uniform(
            day_flow * traded * shown * demand, hashed_uniform(seed, *keys, STREAMS["volume"])
        )
        # Positions opened today sit where the calibration chain's open interest sits (puts further out).
        held_where = _density(z, cal["open_interest_z"][side], window) * weight["open_interest"] * hold[side]
        opened_mean = day_flow * held_where * shown * demand * spec.opened_per_traded
        opened = _poisson_from_uniform(opened_mean, hashed_uniform(seed, *keys, STREAMS["opened"]))
        # Published the morning after: day i shows what was opened up to day i-1, less what was closed since.
        held = lfilter([0.0, 1.0], [1.0, -(1.0 - spec.oi_decay_per_day)], opened, axis=0)
        frames.append(pd.DataFrame(columns | {"option_type": side, "volume": volume[keep],
                                              "open_interest": np.round(held[keep])}))  # fmt: skip
    quotes = pd.concat(frames, ignore_index=True)
    quotes["expiry"] = np.datetime64(expiry, "D")
    return quotes


def simulate_chains(
    dates: pd.Series,
    spot: np.ndarray,
    next_variance_pct2: np.ndarray,
    garch: GarchParams,
    spec: ChainSpec,
    risk_free_rate: float,
    dividend_yield: float,
    seed: int,
    first_snapshot: int = 0,
) -> pl.DataFrame:
    """Chains for every date from `first_snapshot` on (see the module docstring); `next_variance_pct2[i]` is the
    GARCH forecast (percent^2 per day) made at the close of `dates[i]`. Trading on the days before
    `first_snapshot` builds the open interest the first snapshot shows, as a market's history would."""
    market = market_state(dates, spot, next_variance_pct2, garch, spec, risk_free_rate, dividend_yield)
    listed = listed_expiries(market.dates, spec)
    lives = listed.groupby("expiry")["i"]
    quotes = pd.concat([expiry_quotes(market, rows.to_numpy(), expiry, spec, seed) for expiry, rows in lives],
                       ignore_index=True)  # fmt: skip
    return _priced(quotes[quotes["i"] >= first_snapshot].reset_index(drop=True), market, spec, seed)


def _priced(quotes: pd.DataFrame, market: Market, spec: ChainSpec, seed: int) -> pl.DataFrame:
    """The quote columns: the smile's IV, BSM prices in cents, bid/ask, last trade, provider IV."""
    i = quotes["i"].to_numpy()
    s, k, days = market.spot[i], quotes["strike"].to_numpy(), quotes["days"].to_numpy()
    t = days / CALENDAR_DAYS_PER_YEAR
    is_call = (quotes["option_type"] == "call").to_numpy()
    forward = s * np.exp((market.risk_free_rate - market.dividend_yield) * t)
    # The smile in m = ln(K/F)/sqrt(T), fitted for |m| < 1, is held flat beyond |m| = SMILE_REACH: strikes
    # listed long ago and far away near expiry would otherwise get absurd vols.
    m = np.clip(np.log(k / forward) / np.sqrt(t), -SMILE_REACH, SMILE_REACH)
    skew, curvature = _smile_by_days(spec.calibration, days)
    steepness = market.vol_ratio(i) ** spec.skew_vol_elasticity
    snapshot = market.dates.to_numpy().astype("datetime64[D]")[i]
    keys = (snapshot.astype(np.int64), quotes["expiry"].to_numpy().astype("datetime64[D]").astype(np.int64),
            np.round(k * 100).astype(np.int64), (~is_call).astype(np.int64))  # fmt: skip
    shock = ndtri(hashed_uniform(seed, *keys, STREAMS["iv"]))
    iv = np.maximum(quotes["sigma"].to_numpy() + skew * steepness * m + curvature * m**2, MIN_IV)
    iv = np.maximum(iv + spec.iv_noise * shock, MIN_IV)
    price = bs_price(s, k, t, market.risk_free_rate, market.dividend_yield, iv, is_call)
    half_spread = np.maximum(spec.half_spread_pct * price, MIN_HALF_SPREAD)
    bid = np.floor(np.maximum(price - half_spread, 0.0) * 100.0) / 100.0
    ask = np.ceil((price + half_spread) * 100.0) / 100.0
    last = np.maximum(np.round(price * (1.0 + 0.02 * ndtri(hashed_uniform(seed, *keys, STREAMS["last"]))), 2), 0.01)
    volume = quotes["volume"].to_numpy()
    # Contracts that did not trade today last traded up to 30 calendar days ago.
    age = np.where(volume > 0, 0, np.floor(hashed_uniform(seed, *keys, STREAMS["age"]) * 30)).astype("timedelta64[D]")
    return (
        pl.DataFrame(
            {
                "snapshot_date": snapshot,
                "expiry": quotes["expiry"].to_numpy().astype("datetime64[D]"),
                "option_type": quotes["option_type"].to_numpy(),
                "strike": k,
                "bid": bid,
                "ask": ask,
                "last": last,
                "last_trade_date": snapshot - age,
                "volume": np.where(volume > 0, volume, np.nan),  # like Yahoo: no trades today -> missing
                "open_interest": quotes["open_interest"].to_numpy(),
                "provider_iv": np.round(iv, 4),  # quoted to 4 decimals, as CBOE's files give it
                "underlying_price": s,
            }
        )
        .with_columns(
            pl.col("snapshot_date", "expiry", "last_trade_date").cast(pl.Date),
            pl.col("volume").fill_nan(None),
            # taken at the close: 16:00 New York time
            snapshot_time=pl.col("snapshot_date")
            .cast(pl.Datetime("us"))
            .dt.offset_by("16h")
            .dt.replace_time_zone("America/New_York")
            .dt.convert_time_zone("UTC"),
        )
        .sort("snapshot_date", "expiry", "option_type", "strike")
    )


SMALL_MEAN = 20.0


def _poisson_from_uniform(mean: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Poisson counts from pre-drawn uniforms: the exact inverse CDF for means below SMALL_MEAN (most strikes
    trade a few contracts or none), the normal approximation above."""
    mean, uniform = np.broadcast_arrays(np.asarray(mean, float), np.asarray(uniform, float))
    counts = np.maximum(np.round(mean + np.sqrt(mean) * ndtri(np.clip(uniform, 1e-12, 1 - 1e-12))), 0.0)
    small = mean < SMALL_MEAN
    lam, u = mean[small], uniform[small]
    probability = np.exp(-lam)
    cumulative, count = probability.copy(), np.zeros_like(lam)
    for k in range(1, 4 * int(SMALL_MEAN)):  # P(N > 80 | mean < 20) is below 1e-20
        count += u > cumulative
        probability *= lam / k
        cumulative += probability
    counts[small] = count
    return counts
