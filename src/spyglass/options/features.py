"""Options features, one row per snapshot date (polars + numba kernels), and the latest snapshot's exposure tables.

Conventions: T in years (ACT/365) from the snapshot's close to settlement (spyglass.options.chain); forward
F = S e^((r-q)T); log-moneyness x = ln(K/F).
Two sets of contracts:
- IV features (ATM IV, term slope, skew, risk reversal) use quoted prices only: IVs solved from each contract's
  price after cleaning. The smile at a given x uses out-of-the-money quotes (puts below F, calls above), linear
  in x between the two nearest strikes; at a given delta likewise, linear in delta. Constant-maturity values
  interpolate total variance w = IV^2 T linearly in T between the two nearest expiries and hold IV flat outside
  the listed expiries.
- Positions (exposures, walls, the gamma profile, holders' vega and theta) count all open interest, each
  contract valued at its own quote's IV, its expiry's SVI smile or the provider's (spyglass.options.valuation).

Columns (IVs are annualised decimals; exposures follow spyglass.options.exposure):
  n_contracts, n_priced          quotes in the snapshot / kept after cleaning (the IV features' quotes)
  oi_share_quote, _smile, _provider  share of live open interest valued from its own quote, from its expiry's
                                 smile, from the provider's IV (the rest is unpriced and left out)
  pcr_volume, pcr_oi             put/call ratio of volume / open interest, whole chain (before cleaning)
  pcr_volume_{a}_{b}d, ...       the same per expiry bucket (days to expiry in [a, b]; last bucket "{a}d_plus")
  iv_atm_{d}d                    ATM (x = 0) IV at a constant maturity of d calendar days
  iv_term_slope                  iv_atm at the longest configured maturity minus at the shortest
  iv_skew_30d                    IV at K = F(1-m) minus IV at K = F(1+m), 30-day maturity (positive = put skew)
  rr_{d}d_30d                    d-delta risk reversal (d = 100 risk_reversal_delta: rr_25d_30d): IV of the
                                 d-delta call minus the -d-delta put, 30 days
  chain_vega_usd_per_vol_pt      sum of vega * OI * 100 / 100 (holders' side), USD per vol point
  chain_theta_usd_per_day        sum of theta * OI * 100 / 365 (holders' side), USD per calendar day
  dealer_delta_usd, gex_usd_per_pct, vanna_usd_per_vol_pt, charm_usd_per_day   net dealer exposures
  gamma_flip, gamma_flip_distance  spot level where dealer gamma changes sign, the crossing nearest spot (NaN
                                 if none within the grid); flip / spot - 1
  gamma_flip_crossings           how many times the profile changes sign on its grid
  call_wall, put_wall (+ _distance)  strike of the largest call gamma at or above spot, of the largest put gamma
                                 at or below spot; strike / spot - 1
  call_wall_overall, put_wall_overall  strike of the largest call gamma, of the largest put gamma, anywhere
  spot                           underlying price of the snapshot
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import polars as pl

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.options.chain import CleaningRules, clean_chain, iv_status_counts, priced_chain
from spyglass.options.exposure import (
    EXPOSURES,
    contract_exposures,
    exposure_by_expiry,
    exposure_by_strike,
    gamma_profile,
    gamma_walls,
)
from spyglass.options.interpolation import interpolate_in_groups
from spyglass.options.sums import group_sums
from spyglass.options.valuation import (
    SmileSpec,
    open_interest_coverage,
    valuation_summary,
    value_open_interest,
)
from spyglass.schemas import contract_key

KEYS = ["snapshot_date", "expiry"]


@dataclass(frozen=True)
class OptionsFeatureSpec:
    """What to compute (conf/features/default.yaml, features.options)."""

    atm_maturities_days: tuple[int, ...] = (30, 90)
    skew_moneyness: float = 0.05
    risk_reversal_delta: float = 0.25
    pcr_buckets_days: tuple[int, ...] = (30, 90)
    profile_range_pct: float = 0.15
    profile_levels: int = 61
    cleaning: CleaningRules = field(default_factory=CleaningRules)
    smile: SmileSpec = field(default_factory=SmileSpec)

    @classmethod
    def from_config(cls, cfg: dict) -> OptionsFeatureSpec:
        return cls(
            atm_maturities_days=tuple(int(d) for d in cfg["atm_maturities_days"]),
            skew_moneyness=float(cfg["skew_moneyness"]),
            risk_reversal_delta=float(cfg["risk_reversal_delta"]),
            pcr_buckets_days=tuple(int(d) for d in cfg["pcr_buckets_days"]),
            profile_range_pct=float(cfg["profile"]["range_pct"]),
            profile_levels=int(cfg["profile"]["levels"]),
            cleaning=CleaningRules.from_config(cfg["cleaning"]),
            smile=SmileSpec.from_config(cfg["smile"]),
        )

    @property
    def relative_levels(self) -> np.ndarray:
        return np.linspace(1.0 - self.profile_range_pct, 1.0 + self.profile_range_pct, self.profile_levels)


def smile_iv(chain_iv: pl.DataFrame, log_moneyness: float, name: str) -> pl.DataFrame:
    """IV per (snapshot_date, expiry) at one log-moneyness, from OTM quotes (both sides averaged at x = 0)."""
    sides = []
    if log_moneyness <= 0:
        sides.append(chain_iv.filter(pl.col("option_type") == "put"))
    if log_moneyness >= 0:
        sides.append(chain_iv.filter(pl.col("option_type") == "call"))
    points = [interpolate_in_groups(side, KEYS, "log_moneyness", "iv", log_moneyness) for side in sides]
    stacked = pl.concat(points).group_by(KEYS).agg(pl.col("value").mean())
    t_years = chain_iv.select(*KEYS, "t_years").unique()
    return stacked.join(t_years, on=KEYS).rename({"value": name})


def constant_maturity_iv(per_expiry: pl.DataFrame, column: str, days: float) -> pl.DataFrame:
    """IV at `days` to expiry per snapshot date: linear in total variance between expiries, flat IV outside."""
    target = days / CALENDAR_DAYS_PER_YEAR
    with_w = per_expiry.with_columns(total_var=pl.col(column) ** 2 * pl.col("t_years"))
    inside = interpolate_in_groups(with_w, ["snapshot_date"], "t_years", "total_var", target)
    span = (
        per_expiry.filter(pl.col(column).is_not_null())
        .group_by("snapshot_date")
        .agg(
            t_min=pl.col("t_years").min(),
            t_max=pl.col("t_years").max(),
            iv_first=pl.col(column).sort_by("t_years").first(),
            iv_last=pl.col(column).sort_by("t_years").last(),
        )
    )
    name = f"{column}_{int(days)}d"
    return inside.join(span, on="snapshot_date").select(
        "snapshot_date",
        pl.when(target <= pl.col("t_min"))
        .then(pl.col("iv_first"))
        .when(target >= pl.col("t_max"))
        .then(pl.col("iv_last"))
        .otherwise((pl.col("value") / target).sqrt())
        .alias(name),
    )


def expiry_buckets(buckets_days: tuple[int, ...]) -> dict[str, pl.Expr]:
    """Column suffix -> filter on days to expiry: "" (all), "_0_30d", "_31_90d", "_91d_plus" for edges (30, 90)."""
    days = (pl.col("expiry") - pl.col("snapshot_date")).dt.total_days()
    buckets: dict[str, pl.Expr] = {"": pl.lit(True)}
    low = 0
    for high in buckets_days:
        buckets[f"_{low}_{high}d"] = days.is_between(low, high)
        low = high + 1
    buckets[f"_{low}d_plus"] = days >= low
    return buckets


def put_call_ratios(chain: pl.DataFrame, buckets_days: tuple[int, ...] = ()) -> pl.DataFrame:
    """Put/call ratios of volume and open interest per snapshot date, whole chain and per expiry bucket.

    Null where the calls' total is zero.
    """
    is_put = pl.col("option_type") == "put"
    sums: dict[str, pl.Expr] = {}
    ratios: dict[str, pl.Expr] = {}
    for name, column in (("volume", "volume"), ("oi", "open_interest")):
        for suffix, within in expiry_buckets(buckets_days).items():
            puts, calls = f"puts_{name}{suffix}", f"calls_{name}{suffix}"
            sums[puts] = pl.when(within & is_put).then(pl.col(column)).otherwise(0.0)
            sums[calls] = pl.when(within & ~is_put).then(pl.col(column)).otherwise(0.0)
            ratios[f"pcr_{name}{suffix}"] = pl.when(pl.col(calls) > 0).then(pl.col(puts) / pl.col(calls))
    totals = group_sums(chain, ["snapshot_date"], [c for c in contract_key(chain) if c != "snapshot_date"], sums)
    counts = chain.group_by("snapshot_date").agg(n_contracts=pl.len())
    return counts.join(totals, on="snapshot_date").select("snapshot_date", "n_contracts", **ratios)


def risk_reversal_column(delta: float, days: int = 30) -> str:
    """The risk reversal's column: rr_25d_30d for delta 0.25 at 30 days (the one place the name is made)."""
    return f"rr_{round(delta * 100)}d_{days}d"


def risk_reversal(contracts: pl.DataFrame, delta: float, days: int) -> pl.DataFrame:
    """IV of the `delta` call minus IV of the `-delta` put at a constant maturity, from OTM quotes."""
    calls = contracts.filter(pl.col("is_call") & (pl.col("log_moneyness") >= 0))
    puts = contracts.filter(~pl.col("is_call") & (pl.col("log_moneyness") <= 0))
    t_years = contracts.select(*KEYS, "t_years").unique()
    legs = []
    for side, at, name in ((calls, delta, "iv_call_leg"), (puts, -delta, "iv_put_leg")):
        per_expiry = interpolate_in_groups(side, KEYS, "delta", "iv", at).join(t_years, on=KEYS)
        legs.append(constant_maturity_iv(per_expiry.rename({"value": name}), name, days))
    return (
        legs[0]
        .join(legs[1], on="snapshot_date")
        .select(
            "snapshot_date",
            (pl.col(f"iv_call_leg_{days}d") - pl.col(f"iv_put_leg_{days}d")).alias(risk_reversal_column(delta, days)),
        )
    )


def chain_aggregates(positions: pl.DataFrame, multiplier: float = 100.0) -> pl.DataFrame:
    """Per snapshot: holders' total vega and theta, the net dealer exposures and spot."""
    size = pl.col("open_interest") * multiplier
    sums = group_sums(
        positions,
        ["snapshot_date"],
        [c for c in contract_key(positions) if c != "snapshot_date"],
        {
            **{name: pl.col(name) for name in EXPOSURES},
            "chain_vega_usd_per_vol_pt": pl.col("vega") * size / 100.0,
            "chain_theta_usd_per_day": pl.col("theta") * size / CALENDAR_DAYS_PER_YEAR,
        },
    )
    spots = positions.group_by("snapshot_date").agg(spot=pl.col("underlying_price").first())
    return sums.join(spots, on="snapshot_date")


@dataclass
class OptionsAnalytics:
    """Everything the options stage derives from a chain history."""

    features: pl.DataFrame  # one row per snapshot date
    priced: pl.DataFrame  # every quote with its price, price source, IV and IV status (before cleaning)
    smiles: pl.DataFrame  # the SVI smile of each snapshot, root and expiry with enough quotes
    dropped_by_rule: dict[str, int]  # cleaning counts
    iv_status: dict[str, int]  # IVStatus counts over priced rows
    price_source: dict[str, int]  # rows priced from the mid, from the last trade, or not at all
    valuation: dict  # what the positions' IVs stand on, over the whole history (valuation_summary)
    latest_by_strike: pl.DataFrame  # exposure per strike, latest snapshot
    latest_by_expiry: pl.DataFrame  # exposure per expiry, latest snapshot
    latest_profile: pl.DataFrame  # dealer gamma exposure over spot levels, latest snapshot


def options_analytics(
    chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float, spec: OptionsFeatureSpec
) -> OptionsAnalytics:
    """Price, clean, value and aggregate a chain history (OptionChainSchema) into features and tables."""
    priced = priced_chain(chain, risk_free_rate, dividend_yield)
    clean, dropped = clean_chain(priced, spec.cleaning)
    contracts = contract_exposures(clean, risk_free_rate, dividend_yield)  # the quotes of the IV features
    valued, smiles = value_open_interest(priced, spec.cleaning, spec.smile)
    positions = contract_exposures(valued.filter(pl.col("iv_source").is_not_null()), risk_free_rate, dividend_yield)

    atm = smile_iv(contracts, 0.0, "iv_atm")
    put_wing = smile_iv(contracts, float(np.log(1.0 - spec.skew_moneyness)), "iv_put_wing")
    call_wing = smile_iv(contracts, float(np.log(1.0 + spec.skew_moneyness)), "iv_call_wing")
    skew = (
        constant_maturity_iv(put_wing, "iv_put_wing", 30)
        .join(constant_maturity_iv(call_wing, "iv_call_wing", 30), on="snapshot_date")
        .select("snapshot_date", iv_skew_30d=pl.col("iv_put_wing_30d") - pl.col("iv_call_wing_30d"))
    )
    by_strike = exposure_by_strike(positions)
    profile = gamma_profile(positions, risk_free_rate, dividend_yield, spec.relative_levels)
    flips = pl.DataFrame(
        {"snapshot_date": profile.dates, "gamma_flip": profile.flips(), "gamma_flip_crossings": profile.crossings()}
    )

    shortest, longest = min(spec.atm_maturities_days), max(spec.atm_maturities_days)
    features = put_call_ratios(chain, spec.pcr_buckets_days)
    aggregates = chain_aggregates(positions)
    tables = [
        clean.group_by("snapshot_date").agg(n_priced=pl.len()),
        open_interest_coverage(valued),
        aggregates,
        skew,
        risk_reversal(contracts, spec.risk_reversal_delta, 30),
        gamma_walls(by_strike, aggregates),
        flips,
    ]
    tables += [constant_maturity_iv(atm, "iv_atm", days) for days in spec.atm_maturities_days]
    for table in tables:
        features = features.join(table, on="snapshot_date", how="left")
    features = (
        features.with_columns(
            iv_term_slope=pl.col(f"iv_atm_{longest}d") - pl.col(f"iv_atm_{shortest}d"),
            gamma_flip_distance=pl.col("gamma_flip") / pl.col("spot") - 1.0,
            call_wall_distance=pl.col("call_wall") / pl.col("spot") - 1.0,
            put_wall_distance=pl.col("put_wall") / pl.col("spot") - 1.0,
        )
        .with_columns(pl.col("n_priced", "gamma_flip_crossings").fill_null(0))
        .rename({"snapshot_date": "date"})
        .sort("date")
    )
    latest = chain["snapshot_date"].max()
    return OptionsAnalytics(
        features=features.select("date", pl.exclude("date")),
        priced=priced,
        smiles=smiles,
        dropped_by_rule=dropped,
        iv_status=iv_status_counts(priced.filter(pl.col("price").is_not_null())),
        price_source={str(k): int(n) for k, n in priced.group_by("price_source").len().iter_rows()},
        valuation=valuation_summary(valued, smiles),
        latest_by_strike=by_strike.filter(pl.col("snapshot_date") == latest),
        latest_by_expiry=exposure_by_expiry(positions).filter(pl.col("snapshot_date") == latest),
        latest_profile=profile.table(latest),
    )


def options_feature_table(
    chains: pl.DataFrame, data_cfg: dict, options_cfg: dict
) -> tuple[pd.DataFrame, OptionsAnalytics]:
    """Options features (OptionsFeaturesSchema) as pandas with a datetime `date` column, and the full analytics."""
    analytics = options_analytics(
        chains,
        risk_free_rate=float(data_cfg["risk_free_rate"]),
        dividend_yield=float(data_cfg["dividend_yield"]),
        spec=OptionsFeatureSpec.from_config(options_cfg),
    )
    features = analytics.features.to_pandas()
    features["date"] = pd.to_datetime(features["date"])
    return features, analytics
