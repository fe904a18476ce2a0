"""The shape of a real option chain, as the few numbers the chain simulator needs: where calls and puts trade
(moneyness in sigma-sqrt(T) units), how much more round strikes hold, how activity falls with maturity, the
smile by maturity, the put/call ratios, the expiry calendar and the quotes' spreads.

    python -m spyglass.data.chain_calibration ../shared/data/spx_quotedata_2022-12-12.csv \\
        --out conf/data/calibration/spx_2022-12-12.yaml

The project commits the derived numbers (conf/data/calibration/), never the quote file; a test re-derives them
when the file is at hand. Moneyness: z = ln(K/F) / (sigma_atm sqrt(T)), with F the forward at the given rate and
dividend yield, sigma_atm each expiry's at-the-money IV (the provider's, at the four strikes nearest F) and T in
ACT/365 years; flows are read from today's volume (where trading happens), holdings from open interest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR

IQR_TO_SD = 1.349  # the interquartile range of a normal distribution, in standard deviations
ACTIVE_DAYS = (7, 120)  # the maturities whose flows and smile matter most to the simulated chains
SMILE_BUCKETS = ((7, 30), (31, 90), (91, 365), (366, 4000))
MATURITY_BUCKETS = ((0, 6), (7, 30), (31, 90), (91, 365), (366, 4000))


def with_moneyness(chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float) -> pl.DataFrame:
    """The chain with days, t (years), log_moneyness ln(K/F), atm_iv per expiry and z = ln(K/F)/(atm_iv sqrt t)."""
    spot = pl.col("underlying_price")
    frame = chain.with_columns(days=(pl.col("expiry") - pl.col("snapshot_date")).dt.total_days()).with_columns(
        t=pl.col("days").clip(1) / CALENDAR_DAYS_PER_YEAR
    )
    frame = frame.with_columns(
        log_moneyness=(pl.col("strike") / (spot * ((risk_free_rate - dividend_yield) * pl.col("t")).exp())).log()
    )
    atm = (
        frame.filter(pl.col("provider_iv").is_not_null())
        .sort(pl.col("log_moneyness").abs())
        .group_by("expiry")
        .agg(atm_iv=pl.col("provider_iv").head(4).mean())
    )
    return frame.join(atm, on="expiry", how="left").with_columns(
        z=pl.col("log_moneyness") / (pl.col("atm_iv") * pl.col("t").sqrt())
    )


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of `values` weighted by `weights`: each value sits at the middle of its weight on the
    cumulative scale, linear in between (a strike holding 99 % of the weight is the median)."""
    order = np.argsort(values)
    weight = weights[order]
    middle = np.cumsum(weight) - weight / 2
    return np.interp(np.asarray(qs) * weight.sum(), middle, values[order])


def location(frame: pl.DataFrame, weight: str) -> dict[str, float]:
    """Median of z weighted by `weight`, a robust width (IQR / 1.349), and the 2.5 % and 97.5 % quantiles."""
    kept = frame.filter(pl.col("z").is_not_null() & pl.col(weight).fill_null(0).gt(0))
    q = weighted_quantiles(kept["z"].to_numpy(), kept[weight].to_numpy(), (0.025, 0.25, 0.5, 0.75, 0.975))
    return {"center": q[2], "width": (q[3] - q[1]) / IQR_TO_SD, "low": q[0], "high": q[4]}


def roundness(frame: pl.DataFrame, weight: str) -> dict[str, float]:
    """Mean `weight` at strikes that are multiples of 100 and of 25 (not 100), over that of the other strikes,
    near the money (|z| < 2, 7-120 days)."""
    near = frame.filter(pl.col("z").abs() < 2).with_columns(pl.col(weight).fill_null(0))
    k = pl.col("strike")
    other = near.filter((k % 25) != 0)[weight].mean()
    return {
        "every_100": near.filter((k % 100) == 0)[weight].mean() / other,
        "every_25": near.filter(((k % 25) == 0) & ((k % 100) != 0))[weight].mean() / other,
    }


def smile(frame: pl.DataFrame) -> list[dict[str, float]]:
    """Per maturity bucket, the least-squares IV = level + skew m + curvature m^2 over out-of-the-money
    contracts with |m| < 1, m = ln(K/F)/sqrt(t); level is relative to the 30-day at-the-money IV."""
    x = pl.col("log_moneyness")
    out_of_the_money = pl.when(pl.col("option_type") == "call").then(x > 0).otherwise(x <= 0)
    otm = frame.filter(pl.col("provider_iv").is_not_null() & ((x / pl.col("t").sqrt()).abs() < 1) & out_of_the_money)
    atm_30d = atm_iv_30d(frame)
    fits = []
    for low, high in SMILE_BUCKETS:
        bucket = otm.filter(pl.col("days").is_between(low, high))
        m = (bucket["log_moneyness"] / bucket["t"].sqrt()).to_numpy()
        design = np.column_stack([np.ones_like(m), m, m**2])
        level, skew, curvature = np.linalg.lstsq(design, bucket["provider_iv"].to_numpy(), rcond=None)[0]
        fits.append({"max_days": high, "level": level / atm_30d, "skew": skew, "curvature": curvature})
    return fits


def strike_grid(frame: pl.DataFrame) -> list[dict[str, float]]:
    """Per maturity bucket: the median spacing of listed strikes within 5 % of spot and the lowest and highest
    strike, as shares of spot (medians over the bucket's expiries)."""
    spot = frame["underlying_price"][0]
    per_expiry = (
        frame.select("expiry", "days", "strike")
        .unique()
        .sort("expiry", "strike")
        .group_by("expiry", "days")
        .agg(
            near_step=pl.col("strike").filter((pl.col("strike") / spot - 1).abs() < 0.05).diff().median() / spot,
            lowest=pl.col("strike").min() / spot,
            highest=pl.col("strike").max() / spot,
        )
    )
    buckets = []
    for low, high in MATURITY_BUCKETS:
        rows = per_expiry.filter(pl.col("days").is_between(low, high))
        buckets.append({"max_days": high, **{k: float(rows[k].median()) for k in ("near_step", "lowest", "highest")}})
    return buckets


def atm_iv_30d(frame: pl.DataFrame) -> float:
    """The at-the-money IV of the expiries 25-35 days out (their mean)."""
    return float(frame.filter(pl.col("days").is_between(25, 35))["atm_iv"].mean())


def maturity_exponent(frame: pl.DataFrame, weight: str) -> float:
    """b in weight per expiry ~ days^b (least squares in logs over expiries at least a day out)."""
    per_expiry = frame.filter(pl.col("days") >= 1).group_by("days").agg(pl.col(weight).sum())
    design = np.column_stack([np.ones(per_expiry.height), np.log(per_expiry["days"].to_numpy())])
    return float(np.linalg.lstsq(design, np.log1p(per_expiry[weight].to_numpy()), rcond=None)[0][1])


def calibrate(chain: pl.DataFrame, risk_free_rate: float, dividend_yield: float) -> dict:
    """The parameters of one snapshot (see the module docstring); plain floats, rounded for a readable file."""
    frame = with_moneyness(chain, risk_free_rate, dividend_yield)
    active = frame.filter(pl.col("days").is_between(*ACTIVE_DAYS))
    sides = {side: active.filter(pl.col("option_type") == side) for side in ("call", "put")}
    totals = {side: frame.filter(pl.col("option_type") == side).select(pl.col("volume", "open_interest").sum())
              for side in ("call", "put")}  # fmt: skip
    expiries = frame.select("expiry", "days").unique()
    quoted = frame.filter((pl.col("bid") > 0) & (pl.col("ask") >= pl.col("bid")))
    half_spread = (quoted["ask"] - quoted["bid"]) / (quoted["ask"] + quoted["bid"])  # half the spread over the mid
    parameters = {
        "snapshot_date": str(chain["snapshot_date"][0]),
        "atm_iv_30d": atm_iv_30d(frame),
        "put_call_volume_ratio": totals["put"]["volume"][0] / totals["call"]["volume"][0],
        "put_call_oi_ratio": totals["put"]["open_interest"][0] / totals["call"]["open_interest"][0],
        "volume_z": {side: location(rows, "volume") for side, rows in sides.items()},
        "open_interest_z": {side: location(rows, "open_interest") for side, rows in sides.items()},
        "roundness": {"volume": roundness(active, "volume"), "open_interest": roundness(active, "open_interest")},
        "volume_maturity_exponent": maturity_exponent(frame, "volume"),
        "open_interest_maturity_exponent": maturity_exponent(frame, "open_interest"),
        "smile": smile(frame),
        "strike_grid": strike_grid(frame),
        "expiries": {
            f"{low}_{high}_days": expiries.filter(pl.col("days").is_between(low, high)).height
            for low, high in MATURITY_BUCKETS
        },
        "two_sided_quotes": {
            "count": quoted.height,
            "median_half_spread_pct": float(half_spread.median()),
        },
    }
    return _rounded(parameters)


def _rounded(value):
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), 4)
    return value


HEADER = """# Derived from {source} by `python -m spyglass.data.chain_calibration` (rate {rate}, dividend yield {q}).
# Do not edit: rerun the command. The simulator (spyglass.data.chain_simulator) reads these numbers.
"""


def main(argv: list[str] | None = None) -> None:
    """Derive the parameters of a CBOE quotedata file and write them as YAML."""
    from spyglass.data.cboe import read_cboe_quotedata

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--out", required=True)
    parser.add_argument("--rate", type=float, default=0.04)
    parser.add_argument("--dividend-yield", type=float, default=0.015)
    args = parser.parse_args(argv)
    parameters = calibrate(read_cboe_quotedata(args.path), args.rate, args.dividend_yield)
    text = HEADER.format(source=Path(args.path).name, rate=args.rate, q=args.dividend_yield)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + yaml.safe_dump(parameters, sort_keys=False))


if __name__ == "__main__":
    main()
