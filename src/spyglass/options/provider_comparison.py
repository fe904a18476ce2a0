"""spyglass's implied vols and gammas against the provider's own (the IV and gamma columns of CBOE's quotedata),
on the contracts a trader reads: out of the money (strike beyond the forward), 7 to 120 days to expiry.

spyglass solves IV from the bid/ask mid, or the last trade where the quote is empty, with a flat rate, a flat
dividend yield and ACT/365 calendar days from the snapshot date; gamma is Black-Scholes-Merton's at that IV (per
1 point of the underlying, like CBOE's).

    spyglass-compare-provider quotedata.csv [--rate 0.04] [--dividend-yield 0.015]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import polars as pl

from spyglass.options.black_scholes import bs_greeks
from spyglass.options.chain import priced_chain

MIN_DAYS, MAX_DAYS = 7, 120


def provider_differences(
    chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float, days: tuple[int, int] = (MIN_DAYS, MAX_DAYS)
) -> pl.DataFrame:
    """One row per out-of-the-money contract within `days` that both spyglass and the provider value: iv and
    provider_iv, gamma and provider_gamma, price_source ("mid" or "last") and days to expiry."""
    priced = priced_chain(chain, risk_free_rate, dividend_yield).with_columns(
        days=(pl.col("expiry") - pl.col("snapshot_date")).dt.total_days()
    )
    otm = pl.when(pl.col("is_call")).then(pl.col("log_moneyness") > 0).otherwise(pl.col("log_moneyness") < 0)
    kept = priced.filter(
        otm & pl.col("days").is_between(*days) & pl.col("iv").is_not_null() & pl.col("provider_iv").is_not_null()
    )
    gamma = bs_greeks(
        kept["underlying_price"].to_numpy(), kept["strike"].to_numpy(), kept["t_years"].to_numpy(), risk_free_rate,
        dividend_yield, kept["iv"].to_numpy(), kept["is_call"].to_numpy(),
    )["gamma"]  # fmt: skip
    return kept.select(
        "expiry", "option_type", "strike", "days", "price_source", "iv", "provider_iv", "provider_gamma"
    ).with_columns(gamma=pl.Series(gamma))


def difference_summary(differences: pl.DataFrame) -> dict:
    """Median and 90th percentile of |IV − provider IV| (vol points) and of |gamma / provider gamma − 1| (%),
    over all contracts and by price source; with the signed median IV difference (spyglass − provider)."""

    def figures(rows: pl.DataFrame) -> dict:
        iv_gap = (rows["iv"] - rows["provider_iv"]).to_numpy() * 100.0
        with_gamma = rows.filter(pl.col("provider_gamma").is_not_null())
        gamma_gap = (with_gamma["gamma"] / with_gamma["provider_gamma"] - 1.0).abs().to_numpy() * 100.0
        return {
            "contracts": rows.height,
            "iv_abs_diff_vol_pts": {"median": _quantile(np.abs(iv_gap), 0.5), "p90": _quantile(np.abs(iv_gap), 0.9)},
            "iv_signed_median_vol_pts": _quantile(iv_gap, 0.5),
            "gamma_abs_rel_diff_pct": {
                "median": _quantile(gamma_gap, 0.5),
                "p90": _quantile(gamma_gap, 0.9),
                "contracts": with_gamma.height,
            },
        }

    by_source = {source: figures(differences.filter(pl.col("price_source") == source)) for source in ("mid", "last")}
    return {"all": figures(differences), **by_source}


def _quantile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.quantile(values, q)), 4) if values.size else None


def main(argv: list[str] | None = None) -> None:
    """Print the summary for one quotedata file as JSON."""
    from spyglass.data.cboe import read_cboe_quotedata

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--rate", type=float, default=0.04)
    parser.add_argument("--dividend-yield", type=float, default=0.015)
    args = parser.parse_args(argv)
    differences = provider_differences(read_cboe_quotedata(args.path), args.rate, args.dividend_yield)
    print(json.dumps(difference_summary(differences), indent=2))


if __name__ == "__main__":
    main()
