"""Linear interpolation inside groups of a polars frame (smiles in moneyness, term structures in maturity)."""

from __future__ import annotations

import polars as pl


def interpolate_in_groups(
    frame: pl.DataFrame, by: list[str], x: str, y: str, at: float, extrapolate: bool = True
) -> pl.DataFrame:
    """Per group: y linearly interpolated at x = `at` between the nearest points below and above. Outside the
    points, y is held flat at the nearest one, or null with `extrapolate=False`. A point at exactly `at` is
    used alone. Returns the `by` columns and `value`.
    """
    valid = frame.filter(pl.col(y).is_not_null() & pl.col(y).is_not_nan())
    below = valid.filter(pl.col(x) <= at).group_by(by).agg(x0=pl.col(x).max(), y0=pl.col(y).sort_by(x).last())
    above = valid.filter(pl.col(x) >= at).group_by(by).agg(x1=pl.col(x).min(), y1=pl.col(y).sort_by(x).first())
    both = below.join(above, on=by, how="full" if extrapolate else "inner", coalesce=True)
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
