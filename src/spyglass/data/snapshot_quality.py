"""What makes an option snapshot worth filing, and whether a new one of a day is better than the one filed.

A real day's chain can never be fetched again, so the archive only ever gets better:
- **Refused outright** (never filed): a chain on which no contract has open interest (the positions are what the
  exposures are about); one that nothing prices (no two-sided, uncrossed quote and no last trade); one on which
  most two-sided quotes are crossed (bid above ask: a broken feed). Quotes of one contract given twice with
  different numbers are an error naming them, since which one is right cannot be told.
- **Quality** of a valid snapshot: its usable quotes (two-sided and uncrossed), its total open interest and its
  expiries. A candidate replaces a filed day only if it is at least as good on all three; otherwise the filed day
  stays and the candidate is kept aside for inspection (spyglass.data.store).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from spyglass.errors import DataError
from spyglass.schemas import contract_key

MAX_CROSSED_SHARE = 0.5  # above this share of crossed two-sided quotes, the feed is broken, not the market
MAX_LISTED = 5


class ConflictingQuotesError(DataError):
    """One contract quoted twice with different numbers; the message names the contracts."""


@dataclass(frozen=True)
class SnapshotQuality:
    """usable_quotes: two-sided (bid > 0 and ask > 0) and uncrossed (bid <= ask); open_interest: contracts;
    expiries: distinct expiry dates."""

    usable_quotes: int
    open_interest: float
    expiries: int

    def at_least_as_good_as(self, other: SnapshotQuality) -> bool:
        return (self.usable_quotes >= other.usable_quotes and self.open_interest >= other.open_interest
                and self.expiries >= other.expiries)  # fmt: skip

    def describe(self) -> str:
        interest = f"{self.open_interest:,.0f} open interest"
        return f"{self.usable_quotes:,} usable quotes, {interest}, {self.expiries} expiries"


def _two_sided(chain: pl.DataFrame) -> pl.Expr:
    return (pl.col("bid") > 0) & (pl.col("ask") > 0)


def snapshot_quality(chain: pl.DataFrame) -> SnapshotQuality:
    """The quality of one snapshot's quotes (OptionChainSchema rows of one snapshot date)."""
    usable = chain.filter(_two_sided(chain) & (pl.col("bid") <= pl.col("ask"))).height
    return SnapshotQuality(usable, float(chain["open_interest"].fill_null(0).sum()), chain["expiry"].n_unique())


def snapshot_problems(chain: pl.DataFrame) -> list[str]:
    """Why one snapshot must not be filed (empty when it may)."""
    problems = []
    if chain["open_interest"].fill_null(0).sum() <= 0:
        problems.append(f"no contract has open interest ({chain.height:,} quotes, every open interest 0 or missing)")
    two_sided = chain.filter(_two_sided(chain))
    crossed = two_sided.filter(pl.col("bid") > pl.col("ask")).height
    if two_sided.height and crossed / two_sided.height > MAX_CROSSED_SHARE:
        problems.append(f"{crossed:,} of {two_sided.height:,} two-sided quotes are crossed (bid above ask)")
    priced = two_sided.height - crossed + chain.filter(pl.col("last") > 0).height
    if priced == 0:
        problems.append("nothing prices any contract (no two-sided uncrossed quote and no last trade)")
    return problems


def without_repeated_quotes(chains: pl.DataFrame) -> pl.DataFrame:
    """One row per contract and snapshot: repeats of the same quote dropped; ConflictingQuotesError naming the
    contracts quoted twice with different numbers."""
    unique = chains.unique(maintain_order=True)
    key = contract_key(unique)
    repeated = unique.filter(pl.struct(key).is_duplicated())
    if repeated.height:
        keys = repeated.select(key).unique(maintain_order=True)
        shown = ", ".join(" ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in row if v is not None)
                          for row in keys.head(MAX_LISTED).iter_rows())  # fmt: skip
        more = f" and {keys.height - MAX_LISTED} more" if keys.height > MAX_LISTED else ""
        raise ConflictingQuotesError(
            f"{keys.height} contract(s) quoted twice with different numbers ({', '.join(key)}): "
            f"{shown}{more}; which quote is right cannot be told, so nothing was filed"
        )
    return unique
