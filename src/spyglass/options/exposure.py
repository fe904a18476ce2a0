"""Dealer exposures: per contract, per strike, per expiry, and the gamma profile over spot with its flip level.

Convention: dealers are long calls and short puts (customers sell calls, buy puts), so a call's exposure enters
with sign +1 and a put's with -1. One contract covers `multiplier` (100) shares. With S the spot:
  dealer_delta_usd      sign * delta * OI * m * S              USD of underlying dealers are long
  gex_usd_per_pct       sign * gamma * OI * m * S^2 * 0.01     USD change of dealer delta for a 1% move up
  vanna_usd_per_vol_pt  sign * vanna * OI * m * S * 0.01       USD change of dealer delta for +1 vol point
  charm_usd_per_day     sign * charm * OI * m * S / 365        USD change of dealer delta per calendar day
Positive total gamma means dealers hedge against moves (sell rallies, buy dips); negative means with them.
The gamma flip is the spot level where total dealer gamma changes sign: the chain is re-priced over a grid of
spot levels with each contract's IV, T and OI held fixed, and the crossing nearest spot is interpolated; how
many crossings the grid holds is reported beside it (a profile can cross more than once).
Walls, two readings: on each side of spot (the call wall is the strike at or above spot with the largest call
gamma, the put wall at or below spot with the largest put gamma), and overall (the strikes with the largest
call and put gamma anywhere, the reading of most gamma-exposure charts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np
import polars as pl

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.options.black_scholes import INV_SQRT_2PI, bs_greeks
from spyglass.options.sums import group_sums
from spyglass.schemas import contract_key

CONTRACT_MULTIPLIER = 100.0
EXPOSURES = ("dealer_delta_usd", "gex_usd_per_pct", "vanna_usd_per_vol_pt", "charm_usd_per_day")


def contract_exposures(
    clean: pl.DataFrame, risk_free_rate: float, dividend_yield: float, multiplier: float = CONTRACT_MULTIPLIER
) -> pl.DataFrame:
    """Add delta, gamma, vega, theta, vanna, charm (at each contract's IV) and the dealer exposures."""
    greeks = bs_greeks(
        clean["underlying_price"].to_numpy(),
        clean["strike"].to_numpy(),
        clean["t_years"].to_numpy(),
        risk_free_rate,
        dividend_yield,
        clean["iv"].to_numpy(),
        clean["is_call"].to_numpy(),
    )
    with_greeks = clean.with_columns(
        **{name: pl.Series(greeks[name]) for name in ("delta", "gamma", "vega", "theta", "vanna", "charm")}
    )
    return dealer_exposures(with_greeks, multiplier)


def dealer_exposures(with_greeks: pl.DataFrame, multiplier: float = CONTRACT_MULTIPLIER) -> pl.DataFrame:
    """Add the dealer exposures (EXPOSURES) of contracts whose delta, gamma, vanna and charm are given."""
    size = pl.when(pl.col("is_call")).then(1.0).otherwise(-1.0) * pl.col("open_interest") * multiplier
    spot = pl.col("underlying_price")
    return with_greeks.with_columns(
        dealer_delta_usd=size * pl.col("delta") * spot,
        gex_usd_per_pct=size * pl.col("gamma") * spot * spot * 0.01,
        vanna_usd_per_vol_pt=size * pl.col("vanna") * spot * 0.01,
        charm_usd_per_day=size * pl.col("charm") * spot / CALENDAR_DAYS_PER_YEAR,
    )


def _with_root(contracts: pl.DataFrame, columns: list[str]) -> list[str]:
    """`columns` and the root, where the chain has one: what makes a row unique beside the group's keys."""
    return [*columns, *(["root"] if "root" in contracts.columns else [])]


def exposure_by_strike(contracts: pl.DataFrame) -> pl.DataFrame:
    """Per (snapshot_date, strike): call/put/net gamma exposure, open interest, and the other net exposures."""
    call = pl.col("is_call")
    return group_sums(
        contracts,
        ["snapshot_date", "strike"],
        _with_root(contracts, ["expiry", "is_call"]),
        {
            **{name: pl.col(name) for name in EXPOSURES},
            "call_gex_usd_per_pct": pl.when(call).then(pl.col("gex_usd_per_pct")).otherwise(0.0),
            "put_gex_usd_per_pct": pl.when(call).then(0.0).otherwise(pl.col("gex_usd_per_pct")),
            "call_open_interest": pl.when(call).then(pl.col("open_interest")).otherwise(0.0),
            "put_open_interest": pl.when(call).then(0.0).otherwise(pl.col("open_interest")),
        },
    )


def exposure_by_expiry(contracts: pl.DataFrame) -> pl.DataFrame:
    """Per (snapshot_date, expiry): net dealer exposures and open interest."""
    sums = group_sums(
        contracts,
        ["snapshot_date", "expiry"],
        _with_root(contracts, ["is_call", "strike"]),
        {**{name: pl.col(name) for name in EXPOSURES}, "open_interest": pl.col("open_interest")},
    )
    return sums.select(
        "snapshot_date", "expiry", *EXPOSURES,
        days_to_expiry=(pl.col("expiry") - pl.col("snapshot_date")).dt.total_days(),
        open_interest=pl.col("open_interest"),
    )  # fmt: skip


def gamma_walls(by_strike: pl.DataFrame, spots: pl.DataFrame) -> pl.DataFrame:
    """Per snapshot, both readings of the walls (null where a side holds no gamma); `spots` has (snapshot_date,
    spot).
    - call_wall, put_wall: on each side of spot. The call wall is the strike at or above spot with the largest
      call gamma exposure (where dealers' hedging sells rallies: resistance), the put wall the strike at or below
      spot with the largest put gamma exposure (support). Over all strikes the round strike next to spot often
      carries the largest gamma of both sides, and the two walls would be one level.
    - call_wall_overall, put_wall_overall: the strikes with the largest call and put gamma exposure anywhere."""
    calls = pl.col("call_gex_usd_per_pct") != 0
    puts = pl.col("put_gex_usd_per_pct") != 0
    call_side = (pl.col("strike") >= pl.col("spot")) & calls
    put_side = (pl.col("strike") <= pl.col("spot")) & puts
    return (
        by_strike.join(spots.select("snapshot_date", "spot"), on="snapshot_date")
        .group_by("snapshot_date")
        .agg(
            call_wall=_strikes_by_exposure(call_side, "call_gex_usd_per_pct").last(),
            put_wall=_strikes_by_exposure(put_side, "put_gex_usd_per_pct").first(),  # put exposure is negative
            call_wall_overall=_strikes_by_exposure(calls, "call_gex_usd_per_pct").last(),
            put_wall_overall=_strikes_by_exposure(puts, "put_gex_usd_per_pct").first(),
        )
    )


def _strikes_by_exposure(side: pl.Expr, exposure: str) -> pl.Expr:
    """The strikes on one side of spot, in ascending order of their exposure."""
    return pl.col("strike").filter(side).sort_by(pl.col(exposure).filter(side))


@nb.njit(cache=True, parallel=True)
def _profile_kernel(starts, stops, strike, t, iv, signed_oi, r, q, levels, multiplier):
    """Dealer gamma exposure at each level: Black-Scholes gamma e^(-qT) phi(d1) / (S sigma sqrt(T)) with
    d1 = (ln S - ln K + (r - q + sigma^2 / 2) T) / (sigma sqrt(T)); the terms that do not depend on S are
    computed once per contract, so each (contract, level) costs one exp. Invalid contracts (T, sigma, K not
    positive) add nothing."""
    n_groups, n_levels = levels.shape
    n = strike.size
    log_k, drift, inverse_vol, scale = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in nb.prange(n):
        sigma, years = iv[i], t[i]
        if years > 0.0 and sigma > 0.0 and strike[i] > 0.0:
            vol_sqrt_t = sigma * math.sqrt(years)
            log_k[i] = math.log(strike[i])
            drift[i] = (r - q + 0.5 * sigma * sigma) * years
            inverse_vol[i] = 1.0 / vol_sqrt_t
            scale[i] = signed_oi[i] * math.exp(-q * years) * INV_SQRT_2PI / vol_sqrt_t
        else:
            log_k[i], drift[i], inverse_vol[i], scale[i] = 0.0, 0.0, 0.0, 0.0
    out = np.empty((n_groups, n_levels))
    for cell in nb.prange(n_groups * n_levels):  # parallel over (snapshot, level) cells
        g, j = cell // n_levels, cell % n_levels
        spot = levels[g, j]
        log_spot = math.log(spot)
        total = 0.0
        for i in range(starts[g], stops[g]):
            d1 = (log_spot - log_k[i] + drift[i]) * inverse_vol[i]
            total += scale[i] * math.exp(-0.5 * d1 * d1)
        out[g, j] = total / spot * multiplier * spot * spot * 0.01
    return out


@dataclass(frozen=True)
class GammaProfile:
    """Total dealer gamma exposure (USD per 1% move) over a grid of spot levels, one row per snapshot."""

    dates: pl.Series
    spot: np.ndarray  # (snapshots,)
    levels: np.ndarray  # (snapshots, levels): spot * relative level
    exposure: np.ndarray  # (snapshots, levels)

    def flips(self) -> np.ndarray:
        """The gamma flip of each snapshot (see gamma_flip)."""
        return gamma_flip(self.levels, self.exposure, self.spot)

    def crossings(self) -> np.ndarray:
        """How many times each snapshot's profile changes sign on the grid (the flip shows the one nearest spot)."""
        return sign_changes(self.exposure)

    def table(self, snapshot_date) -> pl.DataFrame:
        """One snapshot's profile as rows of (snapshot_date, spot_level, gex_usd_per_pct)."""
        rows = np.flatnonzero((self.dates == snapshot_date).to_numpy())
        levels = self.levels[rows].ravel()
        return pl.DataFrame(
            {
                "snapshot_date": [snapshot_date] * len(levels),
                "spot_level": levels,
                "gex_usd_per_pct": self.exposure[rows].ravel(),
            },
            schema_overrides={"snapshot_date": pl.Date},
        )


def gamma_profile(
    contracts: pl.DataFrame,
    risk_free_rate: float,
    dividend_yield: float,
    relative_levels: np.ndarray,
    multiplier: float = CONTRACT_MULTIPLIER,
) -> GammaProfile:
    """Re-price every snapshot's gamma at spot * relative_levels (IV, T and OI held fixed) and total it."""
    ordered = contracts.sort(contract_key(contracts))  # a fixed order of addition
    groups = ordered.group_by("snapshot_date", maintain_order=True).agg(
        n=pl.len(), spot=pl.col("underlying_price").first()
    )
    stops = np.cumsum(groups["n"].to_numpy())
    starts = stops - groups["n"].to_numpy()
    levels = groups["spot"].to_numpy()[:, None] * np.asarray(relative_levels, dtype=float)[None, :]
    signed_oi = np.where(ordered["is_call"].to_numpy(), 1.0, -1.0) * ordered["open_interest"].to_numpy()
    profile = _profile_kernel(
        starts,
        stops,
        ordered["strike"].to_numpy(),
        ordered["t_years"].to_numpy(),
        ordered["iv"].to_numpy(),
        signed_oi,
        float(risk_free_rate),
        float(dividend_yield),
        levels,
        float(multiplier),
    )
    return GammaProfile(groups["snapshot_date"], groups["spot"].to_numpy(), levels, profile)


@nb.njit(cache=True)
def _nearest_crossings(levels, profile, spot):
    flips = np.full(levels.shape[0], np.nan)
    for g in range(levels.shape[0]):
        best = np.inf
        for j in range(levels.shape[1] - 1):
            a, b = profile[g, j], profile[g, j + 1]
            if (a <= 0.0 < b) or (a > 0.0 >= b):
                level = levels[g, j] + (levels[g, j + 1] - levels[g, j]) * a / (a - b)
                if abs(level - spot[g]) < best:
                    best, flips[g] = abs(level - spot[g]), level
    return flips


def sign_changes(profile: np.ndarray) -> np.ndarray:
    """Per row, the number of adjacent grid points where the profile goes from <= 0 to > 0 or back (the
    crossings gamma_flip chooses among)."""
    positive = np.asarray(profile, float) > 0.0
    return np.count_nonzero(positive[:, 1:] != positive[:, :-1], axis=1)


def gamma_flip(levels: np.ndarray, profile: np.ndarray, spot: np.ndarray) -> np.ndarray:
    """Per row, the spot level where the profile changes sign nearest to spot (linear between grid points);
    NaN where the profile never crosses zero on the grid."""
    return _nearest_crossings(np.asarray(levels, float), np.asarray(profile, float), np.asarray(spot, float))
