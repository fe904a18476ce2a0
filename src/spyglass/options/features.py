"""Options features, one row per snapshot date, from a chain of quotes (polars + vectorised numpy).

Conventions: T in years (ACT/365) from snapshot date to expiry; forward F = S e^((r-q)T); log-moneyness
x = ln(K/F); IV solved from the bid/ask mid with Black-Scholes-Merton (Yahoo-style provider IVs are ignored).
The smile at a given x uses out-of-the-money quotes (puts below F, calls above), linear in x between the two
nearest strikes. Constant-maturity values interpolate total variance w = IV^2 T linearly in T between the two
nearest expiries, and hold IV flat outside the listed expiries.

Columns:
  pcr_volume     put volume / call volume, whole chain
  pcr_oi         put open interest / call open interest, whole chain
  iv_atm_{d}d    ATM (x = 0) IV at a constant maturity of d calendar days, annualised decimal
  iv_term_slope  iv_atm at the longest configured maturity minus at the shortest (vol points as decimals)
  iv_skew_30d    IV at K = F(1-m) minus IV at K = F(1+m), 30-day constant maturity (positive = put skew)
  n_contracts    quotes in the snapshot
"""

from __future__ import annotations

import numpy as np
import polars as pl

from spyglass.options.implied_vol import implied_vol

DAYS_PER_YEAR = 365.0
KEYS = ["snapshot_date", "expiry"]


def chain_with_iv(chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float) -> pl.DataFrame:
    """Add t_years, forward, log_moneyness, mid and iv (NaN where the quote is empty, crossed or unsolvable)."""
    enriched = (
        chain.with_columns(
            t_years=(pl.col("expiry") - pl.col("snapshot_date")).dt.total_days() / DAYS_PER_YEAR,
            mid=pl.when((pl.col("bid") > 0) & (pl.col("ask") >= pl.col("bid")))
            .then((pl.col("bid") + pl.col("ask")) / 2)
            .otherwise(None),
        )
        .with_columns(
            forward=pl.col("underlying_price") * ((risk_free_rate - dividend_yield) * pl.col("t_years")).exp(),
        )
        .with_columns(log_moneyness=(pl.col("strike") / pl.col("forward")).log())
    )
    iv = implied_vol(
        enriched["mid"].fill_null(np.nan).to_numpy(),
        enriched["underlying_price"].to_numpy(),
        enriched["strike"].to_numpy(),
        enriched["t_years"].to_numpy(),
        risk_free_rate,
        dividend_yield,
        (enriched["option_type"] == "call").to_numpy(),
    )
    return enriched.with_columns(iv=pl.Series(iv).fill_nan(None))


def interpolate_in_groups(frame: pl.DataFrame, by: list[str], x: str, y: str, at: float) -> pl.DataFrame:
    """Per group: y linearly interpolated at x = `at` between the nearest points below and above; flat outside.

    Returns the `by` columns and `value`.
    """
    valid = frame.filter(pl.col(y).is_not_null() & pl.col(y).is_not_nan())
    below = valid.filter(pl.col(x) <= at).group_by(by).agg(x0=pl.col(x).max(), y0=pl.col(y).sort_by(x).last())
    above = valid.filter(pl.col(x) >= at).group_by(by).agg(x1=pl.col(x).min(), y1=pl.col(y).sort_by(x).first())
    both = below.join(above, on=by, how="full", coalesce=True)
    weight = ((at - pl.col("x0")) / (pl.col("x1") - pl.col("x0"))).fill_nan(0.0)
    return both.select(
        *by,
        value=pl.when(pl.col("y0").is_null())
        .then(pl.col("y1"))
        .when(pl.col("y1").is_null())
        .then(pl.col("y0"))
        .when(pl.col("x1") == pl.col("x0"))
        .then(pl.col("y0"))
        .otherwise(pl.col("y0") + weight * (pl.col("y1") - pl.col("y0"))),
    )


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
    target = days / DAYS_PER_YEAR
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


def put_call_ratios(chain: pl.DataFrame) -> pl.DataFrame:
    """Put/call ratios by volume and by open interest per snapshot date (null where calls are zero)."""

    def ratio(column: str) -> pl.Expr:
        puts = pl.col(column).filter(pl.col("option_type") == "put").sum()
        calls = pl.col(column).filter(pl.col("option_type") == "call").sum()
        return pl.when(calls > 0).then(puts / calls).otherwise(None)

    return chain.group_by("snapshot_date").agg(
        pcr_volume=ratio("volume"), pcr_oi=ratio("open_interest"), n_contracts=pl.len()
    )


def options_features(
    chain: pl.DataFrame,
    risk_free_rate: float,
    dividend_yield: float,
    atm_maturities_days: list[int],
    skew_moneyness: float,
) -> pl.DataFrame:
    """All options features, one row per snapshot date, sorted; column `date` is the snapshot date."""
    chain_iv = chain_with_iv(chain, risk_free_rate, dividend_yield)
    atm = smile_iv(chain_iv, 0.0, "iv_atm")
    put_wing = smile_iv(chain_iv, float(np.log(1.0 - skew_moneyness)), "iv_put_wing")
    call_wing = smile_iv(chain_iv, float(np.log(1.0 + skew_moneyness)), "iv_call_wing")

    features = put_call_ratios(chain)
    for days in atm_maturities_days:
        features = features.join(constant_maturity_iv(atm, "iv_atm", days), on="snapshot_date", how="left")
    skew = (
        constant_maturity_iv(put_wing, "iv_put_wing", 30)
        .join(constant_maturity_iv(call_wing, "iv_call_wing", 30), on="snapshot_date")
        .select("snapshot_date", iv_skew_30d=pl.col("iv_put_wing_30d") - pl.col("iv_call_wing_30d"))
    )
    shortest, longest = min(atm_maturities_days), max(atm_maturities_days)
    return (
        features.join(skew, on="snapshot_date", how="left")
        .with_columns(iv_term_slope=pl.col(f"iv_atm_{longest}d") - pl.col(f"iv_atm_{shortest}d"))
        .rename({"snapshot_date": "date"})
        .select(
            "date",
            "pcr_volume",
            "pcr_oi",
            *[f"iv_atm_{d}d" for d in atm_maturities_days],
            "iv_term_slope",
            "iv_skew_30d",
            "n_contracts",
        )
        .sort("date")
    )
