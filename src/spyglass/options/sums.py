"""Group sums with a fixed order of addition, so a feature's bits do not depend on threads or input order.

Floating-point addition is not associative: polars' parallel group-by may add a group's rows in a different
order from run to run (and does when the input rows come in another order), which changed per-strike exposure
sums by ~1e-16 relative and made the options stage's outputs differ between identical runs. Here rows are
sorted by the group keys and then by `order_by` (a unique key of the rows), and each group is added up in that
order with numpy.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def group_sums(frame: pl.DataFrame, by: list[str], order_by: list[str], sums: dict[str, pl.Expr]) -> pl.DataFrame:
    """One row per group of `by` (sorted by it) with the sum of each named expression; nulls count as 0."""
    values = frame.select(*by, *[c for c in order_by if c not in by], **sums).sort([*by, *order_by])
    starts = np.flatnonzero(values.select(pl.struct(by).is_first_distinct()).to_series().to_numpy())
    keys = values.select(by)[starts]
    if values.is_empty():
        return keys.with_columns(*[pl.lit(None, dtype=pl.Float64).alias(name) for name in sums])
    return keys.with_columns(
        *[
            pl.Series(name, np.add.reduceat(values[name].cast(pl.Float64).fill_null(0.0).to_numpy(), starts))
            for name in sums
        ]
    )
