"""Model-free implied volatility and skewness indices of a chain, by CBOE's VIX and SKEW methods.

Per snapshot and expiry (T = calendar days to expiry / 365, r the risk-free rate):
  forward F   K* + e^(rT) (C(K*) - P(K*)) at the strike K* where |C - P| is smallest (both sides priced)
  K0          the largest strike at or below F
  strip Q(K)  the put price for K < K0, the call price for K > K0, their mean at K0 (the one priced side where
              only one is); dK is half the distance between a strike's neighbours in the strip (one-sided at
              its two ends)
  variance    sigma^2 = 2/T sum(dK/K^2 e^(rT) Q(K)) - 1/T (F/K0 - 1)^2                        (VIX white paper)
  skewness    S = (P3 - 3 P1 P2 + 2 P1^3) / (P2 - P1^2)^(3/2), with
              P1 = e^(rT) sum(-dK/K^2 Q) + e1, P2 = e^(rT) sum(2 dK/K^2 (1 - ln(K/F)) Q) + e2,
              P3 = e^(rT) sum(3 dK/K^2 (2 ln(K/F) - ln(K/F)^2) Q) + e3, and with x = ln(K0/F):
              e1 = -(1 + ln(F/K0) - F/K0), e2 = 2x (F/K0 - 1) + x^2/2, e3 = 3x^2 (x/3 - 1 + F/K0) (SKEW paper)
Expiries, as CBOE chooses them: only those on `expiry_weekdays` (Fridays: the standard monthlies and the Friday
weeklies; a Monday or Wednesday listing never enters), with open interest of at least `min_open_interest` (a
series listed that day, with no positions yet, is too thin to set an index), and, where two roots list one
expiry (SPX's AM monthly and SPXW's PM weekly on third Fridays), the root with the larger open interest. T runs
to each root's settlement (spyglass.options.chain: the AM monthly 6.5 hours shorter).
Constant maturity d days: total variance sigma^2 T is interpolated linearly in T between the nearest usable
expiries on either side of d (one at exactly d days is used alone, as in CBOE's weighting), and the index is
100 sqrt(w_d / T_d) in vol points (VIX = 20 means 20 % a year). S is interpolated linearly in T the same way,
SKEW = 100 - 10 S. There is no extrapolation: a maturity outside the listed expiries is null.

Prices: the bid/ask mid, else the snapshot day's last trade (spyglass.options.chain's first three cleaning
rules). CBOE stops the strip after two consecutive zero bids; that rule is not applied, since a chain taken
after the close (like CBOE's own delayed file) has no bids at all: strikes without a usable price are skipped
instead, and an expiry is usable only with at least `min_strikes_per_side` out-of-the-money strikes priced on
each side of K0. A strip truncated by the listed strikes understates variance, as it does for CBOE.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from spyglass.daycount import CALENDAR_DAYS_PER_YEAR
from spyglass.options.chain import usable_quotes
from spyglass.options.interpolation import interpolate_in_groups
from spyglass.options.sums import group_sums

KEYS = ["snapshot_date", "expiry"]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class VarianceIndexSpec:
    """Which maturities to compute and when an expiry is usable (conf/data/sample.yaml: model_free_indices)."""

    maturities_days: tuple[int, ...] = (9, 30, 91, 182)
    skew_days: int = 30
    min_strikes_per_side: int = 5
    max_trade_age_days: int = 5
    expiry_weekdays: tuple[str, ...] = ("Fri",)
    min_open_interest: float = 1.0

    @classmethod
    def from_config(cls, cfg: dict) -> VarianceIndexSpec:
        weekdays = tuple(str(day).capitalize()[:3] for day in cfg["expiry_weekdays"])
        unknown = sorted(set(weekdays) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"model_free_indices.expiry_weekdays: {unknown} are not weekdays ({', '.join(WEEKDAYS)})")
        return cls(
            tuple(int(d) for d in cfg["maturities_days"]),
            int(cfg["skew_days"]),
            int(cfg["min_strikes_per_side"]),
            int(cfg.get("max_trade_age_days", cls.max_trade_age_days)),
            weekdays,
            float(cfg["min_open_interest"]),
        )


def vix_column(days: int) -> str:
    """Column name of the volatility index at a constant maturity of `days` calendar days (vol points)."""
    return f"vix_{days}d"


def otm_strip(quotes: pl.DataFrame, listed: pl.DataFrame, risk_free_rate: float) -> pl.DataFrame:
    """Per (snapshot_date, expiry): forward, k0 and the out-of-the-money strip rows (strike, q, dk), with t_years.

    `quotes`: usable quotes with t_years, is_call and price (spyglass.options.chain.usable_quotes); `listed`:
    every listed (snapshot_date, expiry, strike), priced or not (K0 is a listed strike, as in CBOE's rule).
    """
    live = quotes.filter(pl.col("t_years") > 0)
    calls = live.filter(pl.col("is_call")).select(*KEYS, "strike", call="price")
    puts = live.filter(~pl.col("is_call")).select(*KEYS, "strike", put="price")
    t_years = live.group_by(KEYS).agg(pl.col("t_years").first())
    wide = calls.join(puts, on=[*KEYS, "strike"], how="full", coalesce=True).join(t_years, on=KEYS)
    gap = pl.col("call") - pl.col("put")
    forward = (
        wide.filter(pl.col("call").is_not_null() & pl.col("put").is_not_null())
        .sort(*KEYS, gap.abs(), "strike")
        .group_by(KEYS, maintain_order=True)
        .first()
        .select(*KEYS, forward=pl.col("strike") + (risk_free_rate * pl.col("t_years")).exp() * gap)
    )
    k0 = (
        listed.join(forward, on=KEYS)
        .filter(pl.col("strike") <= pl.col("forward"))
        .group_by(KEYS)
        .agg(k0=pl.col("strike").max())
    )
    strike, previous, following = pl.col("strike"), pl.col("previous"), pl.col("following")
    return (
        wide.join(forward, on=KEYS)
        .join(k0, on=KEYS)
        .with_columns(
            q=pl.when(strike < pl.col("k0"))
            .then(pl.col("put"))
            .when(strike > pl.col("k0"))
            .then(pl.col("call"))
            .otherwise(pl.mean_horizontal("call", "put"))
        )
        .filter(pl.col("q").is_not_null() & (pl.col("q") > 0))
        .sort(*KEYS, "strike")
        .with_columns(previous=strike.shift(1).over(KEYS), following=strike.shift(-1).over(KEYS))
        .with_columns(
            dk=pl.when(previous.is_null())
            .then(following - strike)
            .when(following.is_null())
            .then(strike - previous)
            .otherwise((following - previous) / 2)
        )
        .select(*KEYS, "t_years", "forward", "k0", "strike", "q", "dk")
    )


def expiry_moments(strip: pl.DataFrame, risk_free_rate: float, min_strikes_per_side: int) -> pl.DataFrame:
    """Per (snapshot_date, expiry): t_years, forward, k0, n_puts, n_calls, variance (sigma^2, annual), skewness
    and `usable` (enough strikes on each side and a positive variance)."""
    strike, q = pl.col("strike"), pl.col("q")
    weight = pl.col("dk") / strike**2 * q
    log_k = (strike / pl.col("forward")).log()
    sums = group_sums(
        strip,
        KEYS,
        ["strike"],
        {
            "s1": -weight,
            "s2": 2 * weight * (1 - log_k),
            "s3": 3 * weight * (2 * log_k - log_k**2),
            "n_puts": (strike < pl.col("k0")).cast(pl.Float64),
            "n_calls": (strike > pl.col("k0")).cast(pl.Float64),
        },
    )
    levels = strip.group_by(KEYS).agg(pl.col("t_years", "forward", "k0").first())
    t, f, k0 = pl.col("t_years"), pl.col("forward"), pl.col("k0")
    growth = (risk_free_rate * t).exp()
    x = (k0 / f).log()
    p1 = growth * pl.col("s1") + -(1 + (f / k0).log() - f / k0)
    p2 = growth * pl.col("s2") + (2 * x * (f / k0 - 1) + x**2 / 2)
    p3 = growth * pl.col("s3") + 3 * x**2 * (x / 3 - 1 + f / k0)
    # sum(2 dK/K^2 Q) e^(rT) is -2 e^(rT) s1: the VIX sum is the first SKEW sum, doubled and negated.
    variance = (-2 * growth * pl.col("s1") - (f / k0 - 1) ** 2) / t
    return (
        sums.join(levels, on=KEYS)
        .with_columns(
            n_puts=pl.col("n_puts").cast(pl.Int64),
            n_calls=pl.col("n_calls").cast(pl.Int64),
            variance=variance,
            skewness=(p3 - 3 * p1 * p2 + 2 * p1**3) / (p2 - p1**2) ** 1.5,
        )
        .with_columns(
            usable=(pl.col("n_puts") >= min_strikes_per_side)
            & (pl.col("n_calls") >= min_strikes_per_side)
            & (pl.col("variance") > 0)
        )
        .select(*KEYS, "t_years", "forward", "k0", "n_puts", "n_calls", "variance", "skewness", "usable")
        .sort(KEYS)
    )


def constant_maturity_indices(moments: pl.DataFrame, spec: VarianceIndexSpec) -> pl.DataFrame:
    """Per snapshot_date: vix_<d>d for each maturity (vol points) and skew (CBOE SKEW points), null where the
    usable expiries do not bracket the maturity."""
    usable = moments.filter(pl.col("usable")).with_columns(total_variance=pl.col("variance") * pl.col("t_years"))
    out = moments.select("snapshot_date").unique().sort("snapshot_date")
    for days in spec.maturities_days:
        target = days / CALENDAR_DAYS_PER_YEAR
        total = interpolate_in_groups(usable, ["snapshot_date"], "t_years", "total_variance", target, False)
        index = total.select("snapshot_date", (100 * (pl.col("value") / target).sqrt()).alias(vix_column(days)))
        out = out.join(index, on="snapshot_date", how="left")
    target = spec.skew_days / CALENDAR_DAYS_PER_YEAR
    skew = interpolate_in_groups(usable, ["snapshot_date"], "t_years", "skewness", target, False)
    return out.join(skew.select("snapshot_date", skew=100 - 10 * pl.col("value")), on="snapshot_date", how="left")


def eligible_expiries(chain: pl.DataFrame, spec: VarianceIndexSpec) -> pl.DataFrame:
    """The rows of the expiries the indices may use: on `spec.expiry_weekdays`, with open interest of at least
    `spec.min_open_interest`, one root per expiry (the one with the larger open interest)."""
    weekdays = [WEEKDAYS.index(day) + 1 for day in spec.expiry_weekdays]  # polars: Monday is 1
    on_day = chain.filter(pl.col("expiry").dt.weekday().is_in(weekdays))
    roots = ["root"] if "root" in chain.columns else []
    interest = on_day.group_by(*KEYS, *roots).agg(open_interest=pl.col("open_interest").fill_null(0.0).sum())
    chosen = (
        interest.filter(pl.col("open_interest") >= spec.min_open_interest)
        .sort(*KEYS, "open_interest", *roots, descending=[False, False, True, *[False] * len(roots)])
        .group_by(KEYS, maintain_order=True)
        .first()
    )
    return on_day.join(chosen.select(*KEYS, *roots), on=[*KEYS, *roots], nulls_equal=True)


def variance_indices(chain: pl.DataFrame, risk_free_rate: float, spec: VarianceIndexSpec) -> pl.DataFrame:
    """Model-free volatility indices (vix_<d>d) and SKEW per snapshot of a chain (OptionChainSchema)."""
    all_dates = chain.select("snapshot_date").unique()
    chain = eligible_expiries(chain, spec)
    quotes = usable_quotes(chain, spec.max_trade_age_days)
    listed = chain.select(*KEYS, "strike").unique()
    strip = otm_strip(quotes, listed, risk_free_rate)
    moments = expiry_moments(strip, risk_free_rate, spec.min_strikes_per_side)
    return all_dates.join(constant_maturity_indices(moments, spec), on="snapshot_date", how="left").sort(
        "snapshot_date"
    )
