"""Every contract with open interest valued at an implied vol, so exposures count every position.

A position exists whether or not its contract traded or is quoted in the snapshot. Each live contract (T > 0)
with open interest of at least `min_open_interest` gets an IV and says where it came from (`iv_source`):
  quote     its own two-sided, uncrossed mid, solving to an IV inside the cleaning bounds
  smile     its expiry's SVI smile (spyglass.options.smile) at its log-moneyness; the smile is fitted, per
            snapshot, root and expiry, to every usable quote of that expiry (mids and fresh last trades, calls
            and puts) that solves inside the bounds
  provider  the provider's IV, where its expiry has too few quotes for a smile
  null      none of these: left out of the exposures, counted as unpriced
A last trade informs the smile but does not value its own contract: it was struck at an unknown time of the
session, not at the snapshot's spot. Such a stale spot errs in opposite directions on a strike's call and put
(after a rally, calls solve too low and puts too high), a skew error that net dealer gamma is most sensitive
to; so the smile is fitted through both sides at equal weight (in implied vol), not through out-of-the-money
quotes alone. On CBOE's SPX file of 2022-12-12, a +56-point day taken after the close, the 4,000 December call's
last trade solves to 38.8 % and the put's to 41.4 %; an out-of-the-money smile tracks CBOE's own IVs more
closely contract by contract yet misses net dealer gamma by 70 %, the two-sided one by 8 % (README).
IV features keep using quoted prices only (spyglass.options.chain's cleaning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from spyglass.options.chain import QUOTE_RULES, CleaningRules, rule_breaches
from spyglass.options.implied_vol import IVStatus
from spyglass.options.smile import SVI_PARAMS, fit_svi, svi_total_variance
from spyglass.options.sums import group_sums
from spyglass.schemas import contract_key

IV_SOURCES = ("quote", "smile", "provider")


@dataclass(frozen=True)
class SmileSpec:
    """When an expiry gets a smile (conf/features/default.yaml, features.options.smile)."""

    min_quotes: int = 5  # usable quotes an expiry needs for a smile

    @classmethod
    def from_config(cls, cfg: dict) -> SmileSpec:
        return cls(int(cfg["min_quotes"]))


def expiry_key(frame: pl.DataFrame) -> list[str]:
    """The columns that name one expiry of one root in one snapshot (no root column: the underlying's one)."""
    return ["snapshot_date", *(["root"] if "root" in frame.columns else []), "expiry"]


def _usable_iv(rules: CleaningRules) -> pl.Expr:
    """A quote's own IV can be used: its price passes the quote rules and solves inside the bounds."""
    breaches = rule_breaches(rules)
    bad_price = pl.any_horizontal(*(breaches[name].fill_null(False) for name in QUOTE_RULES))
    low, high = rules.iv_bounds
    return ~bad_price & (pl.col("iv_status") == IVStatus.OK) & pl.col("iv").is_between(low, high)


def fit_smiles(priced: pl.DataFrame, rules: CleaningRules, spec: SmileSpec) -> pl.DataFrame:
    """One SVI smile per snapshot, root and expiry with at least `spec.min_quotes` usable quotes: its parameters
    (a, b, rho, m, sigma), its number of quotes and its root-mean-square error in implied vol."""
    key = expiry_key(priced)
    quotes = priced.filter(_usable_iv(rules) & (pl.col("t_years") > 0)).with_columns(
        total_variance=pl.col("iv") ** 2 * pl.col("t_years")
    )
    quotes = quotes.sort(contract_key(quotes))  # each expiry's quotes together, in a fixed order
    groups = quotes.group_by(key, maintain_order=True).agg(n_quotes=pl.len(), t_years=pl.col("t_years").first())
    params, rmse = fit_svi(groups["n_quotes"].to_numpy(), quotes["log_moneyness"].to_numpy(),
                           quotes["total_variance"].to_numpy(), spec.min_quotes)  # fmt: skip
    fitted = groups.with_columns(
        *[pl.Series(name, params[:, i]) for i, name in enumerate(SVI_PARAMS)],
        rmse_iv=pl.Series(rmse) / groups["t_years"].sqrt(),
    )
    return fitted.filter(pl.col("a").is_not_nan()).drop("t_years")


def value_open_interest(
    priced: pl.DataFrame, rules: CleaningRules, spec: SmileSpec
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every live contract with open interest, with iv and iv_source; the smiles). Rows come from
    spyglass.options.chain.priced_chain; iv is replaced by the IV the contract is valued at."""
    smiles = fit_smiles(priced, rules, spec)
    key = expiry_key(priced)
    low, high = rules.iv_bounds
    positions = priced.filter(
        (pl.col("open_interest").fill_null(0.0) >= rules.min_open_interest) & (pl.col("t_years") > 0)
    ).join(smiles.select(*key, *SVI_PARAMS), on=key, how="left", nulls_equal=True)
    total_variance = svi_total_variance(positions.select(SVI_PARAMS).to_numpy(), positions["log_moneyness"].to_numpy())
    smile_iv = np.sqrt(np.maximum(total_variance, 0.0) / positions["t_years"].to_numpy())
    own = _usable_iv(rules) & (pl.col("price_source") == "mid")
    provider = pl.col("provider_iv").is_between(low, high).fill_null(False)
    valued = positions.with_columns(smile_iv=pl.Series(smile_iv).fill_nan(None)).with_columns(
        iv_source=pl.when(own)
        .then(pl.lit("quote"))
        .when(pl.col("smile_iv") > 0)
        .then(pl.lit("smile"))
        .when(provider)
        .then(pl.lit("provider"))
    )
    iv = (
        pl.when(pl.col("iv_source") == "quote")
        .then(pl.col("iv"))
        .when(pl.col("iv_source") == "smile")
        .then(pl.col("smile_iv"))
        .when(pl.col("iv_source") == "provider")
        .then(pl.col("provider_iv"))
    )
    return valued.with_columns(iv=iv).drop("smile_iv", *SVI_PARAMS), smiles


def open_interest_coverage(valued: pl.DataFrame) -> pl.DataFrame:
    """Per snapshot: the share of live open interest valued from its own quote, from a smile and from the
    provider (oi_share_quote, oi_share_smile, oi_share_provider; the rest is unpriced)."""
    by_source = {source: pl.when(pl.col("iv_source") == source).then(pl.col("open_interest")).otherwise(0.0)
                 for source in IV_SOURCES}  # fmt: skip
    order = [c for c in contract_key(valued) if c != "snapshot_date"]
    sums = group_sums(valued, ["snapshot_date"], order, {"total": pl.col("open_interest"), **by_source})
    return sums.select(
        "snapshot_date", **{f"oi_share_{source}": pl.col(source) / pl.col("total") for source in IV_SOURCES}
    )


def valuation_summary(valued: pl.DataFrame, smiles: pl.DataFrame) -> dict:
    """For the stage's metrics: the share of all live open interest valued from each source (and unpriced), the
    number of expiries with positions and of smiles fitted, and the smiles' median error in implied vol."""
    total = float(valued["open_interest"].sum()) or float("nan")
    by_source = valued.group_by("iv_source").agg(pl.col("open_interest").sum())
    held = {str(source): float(oi) for source, oi in by_source.iter_rows()}
    shares = {source: round(held.get(source, 0.0) / total, 6) for source in IV_SOURCES}
    shares["unpriced"] = round(held.get("None", 0.0) / total, 6)
    return {
        "open_interest_share": shares,
        "expiries_with_positions": valued.select(expiry_key(valued)).n_unique(),
        "smiles_fitted": smiles.height,
        "smile_median_rmse_iv": round(float(smiles["rmse_iv"].median()), 6) if smiles.height else None,
    }
