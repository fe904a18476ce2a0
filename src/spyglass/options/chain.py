"""Chain preparation: the price each contract is valued at, its time to expiry, its implied vol, and the
cleaning rules.

Price: the bid/ask mid where the quote is two-sided and not crossed; else the last trade price where there is
one (`price_source = "last"`, so it can be told apart); else none. IV is solved from that price
(spyglass.options.implied_vol), never taken from the provider.

Time to expiry (ACT/365): a snapshot stands at its day's close (16:00 New York); a PM-settled contract runs to
the close of its expiry day, an AM-settled one (the standard monthlies of the roots in AM_SETTLED_ROOTS) to the
opening settlement at 09:30 that day, 6.5 hours earlier.

Cleaning rules, applied in this order to the rows still kept; each row is dropped by the first rule it breaks:
  crossed_quote       bid > ask (both positive): the quote is wrong, and so is any price taken from it
  no_price            no two-sided quote and no last trade
  stale_trade         priced from a last trade more than `max_trade_age_days` before the snapshot
  zero_open_interest  open interest below `min_open_interest` (or missing)
  no_implied_vol      the price admits no implied vol (below intrinsic, above the bound, expired)
  absurd_iv           implied vol outside `iv_bounds`
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.options.implied_vol import IVStatus, solve_implied_vol

QUOTE_RULES = ("crossed_quote", "no_price", "stale_trade")  # the rules about the price itself
# Roots whose standard options settle at the open of expiry day (SPXW, NDXP, RUTW: their PM-settled twins).
AM_SETTLED_ROOTS = ("SPX", "NDX", "RUT", "VIX")
AM_SETTLEMENT_DAYS = 6.5 / 24  # the 09:30 settlement is 6.5 hours before the 16:00 close


@dataclass(frozen=True)
class CleaningRules:
    """Thresholds of the cleaning rules (conf/features/default.yaml, features.options.cleaning)."""

    min_open_interest: float = 1.0
    max_trade_age_days: int = 5
    iv_bounds: tuple[float, float] = (0.01, 3.0)

    @classmethod
    def from_config(cls, cfg: dict) -> CleaningRules:
        return cls(float(cfg["min_open_interest"]), int(cfg["max_trade_age_days"]), tuple(cfg["iv_bounds"]))


def years_to_expiry(chain: pl.DataFrame | pl.LazyFrame) -> pl.Expr:
    """ACT/365 years from the snapshot's close to the contract's settlement (AM-settled roots: 09:30)."""
    days = (pl.col("expiry") - pl.col("snapshot_date")).dt.total_days()
    if "root" in chain.collect_schema().names():
        days = days - pl.col("root").is_in(AM_SETTLED_ROOTS).fill_null(False).cast(pl.Float64) * AM_SETTLEMENT_DAYS
    return days / CALENDAR_DAYS_PER_YEAR


def quote_prices(chain: pl.DataFrame) -> pl.DataFrame:
    """Add price (bid/ask mid, else the last trade, else null), price_source ("mid", "last" or null), t_years
    (years_to_expiry) and is_call."""
    two_sided = (pl.col("bid") > 0) & (pl.col("ask") > 0) & (pl.col("ask") >= pl.col("bid"))
    has_last = pl.col("last").fill_null(0.0) > 0
    return chain.with_columns(
        t_years=years_to_expiry(chain),
        is_call=pl.col("option_type") == "call",
        price=pl.when(two_sided).then((pl.col("bid") + pl.col("ask")) / 2).when(has_last).then(pl.col("last")),
        price_source=pl.when(two_sided).then(pl.lit("mid")).when(has_last).then(pl.lit("last")),
    )


def usable_quotes(chain: pl.DataFrame, max_trade_age_days: int) -> pl.DataFrame:
    """quote_prices, keeping only rows the first three cleaning rules accept (a price, not crossed, not stale)."""
    priced = quote_prices(chain)
    breaches = rule_breaches(CleaningRules(max_trade_age_days=max_trade_age_days))
    bad = pl.any_horizontal(*(breaches[name].fill_null(False) for name in QUOTE_RULES))
    return priced.filter(~bad)


def priced_chain(chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float) -> pl.DataFrame:
    """quote_prices plus forward, log_moneyness, iv and iv_status (an IVStatus code)."""
    priced = (
        quote_prices(chain)
        .with_columns(
            forward=pl.col("underlying_price") * ((risk_free_rate - dividend_yield) * pl.col("t_years")).exp(),
        )
        .with_columns(log_moneyness=(pl.col("strike") / pl.col("forward")).log())
    )
    iv, status = solve_implied_vol(
        priced["price"].fill_null(np.nan).to_numpy(),
        priced["underlying_price"].to_numpy(),
        priced["strike"].to_numpy(),
        priced["t_years"].to_numpy(),
        risk_free_rate,
        dividend_yield,
        priced["is_call"].to_numpy(),
    )
    return priced.with_columns(iv=pl.Series(iv).fill_nan(None), iv_status=pl.Series(status, dtype=pl.Int8))


def rule_breaches(rules: CleaningRules) -> dict[str, pl.Expr]:
    """Each cleaning rule's name and the expression true on the rows that break it (on priced_chain's rows)."""
    crossed = (pl.col("bid") > 0) & (pl.col("ask") > 0) & (pl.col("bid") > pl.col("ask"))
    trade_age = (pl.col("snapshot_date") - pl.col("last_trade_date")).dt.total_days()
    low, high = rules.iv_bounds
    return {
        "crossed_quote": crossed,
        "no_price": pl.col("price").is_null(),
        "stale_trade": (pl.col("price_source") == "last")
        & (trade_age.is_null() | (trade_age > rules.max_trade_age_days)),
        "zero_open_interest": pl.col("open_interest").fill_null(0.0) < rules.min_open_interest,
        "no_implied_vol": pl.col("iv_status") != IVStatus.OK,
        "absurd_iv": (pl.col("iv") < low) | (pl.col("iv") > high),
    }


def clean_chain(priced: pl.DataFrame, rules: CleaningRules) -> tuple[pl.DataFrame, dict[str, int]]:
    """Apply the rules in order; return the kept rows and the number each rule dropped (the rows it breaks
    that no earlier rule dropped)."""
    flags = priced.select(**{name: breach.fill_null(False) for name, breach in rule_breaches(rules).items()})
    dropped: dict[str, int] = {}
    earlier = pl.Series(np.zeros(priced.height, dtype=bool))
    for name in flags.columns:
        dropped[name] = int((flags[name] & ~earlier).sum())
        earlier = earlier | flags[name]
    return priced.filter(~earlier), dropped


def iv_status_counts(priced: pl.DataFrame) -> dict[str, int]:
    """How many rows ended in each IVStatus (for the stage's metrics)."""
    counts = priced.group_by("iv_status").len()
    return {IVStatus(code).name.lower(): int(n) for code, n in counts.iter_rows()}
