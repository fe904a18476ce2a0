"""Join feature tables on date into the model matrix. Both tables are known at close t, so the join is causal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spyglass.options.features import NON_FEATURE_COLUMNS

TARGET = "target_ret_1d"


@dataclass(frozen=True)
class ModelFrame:
    """Aligned features X (rows = dates, sorted), target y (NaN where not yet realised) and dates."""

    dates: pd.Series
    features: pd.DataFrame
    target: pd.Series

    @property
    def feature_names(self) -> list[str]:
        return list(self.features.columns)


def assemble(ta_table: pd.DataFrame, *tables: pd.DataFrame) -> ModelFrame:
    """Inner-join the technical features with every other non-empty table on date (days all of them cover),
    sorted by date. An empty table (a source without options) adds nothing."""
    merged = ta_table
    for table in tables:
        if len(table):
            merged = merged.merge(table, on="date", how="inner")
    merged = merged.sort_values("date").reset_index(drop=True)
    if merged.empty:
        raise ValueError("no dates in common between technical and options features")
    features = merged.drop(columns=["date", TARGET]).astype(float)
    return ModelFrame(dates=merged["date"], features=features, target=merged[TARGET].astype(float))


def model_frame_from_tables(
    ta_table: pd.DataFrame,
    options_table: pd.DataFrame,
    forward_fill_limit: int = 0,
    extra_table: pd.DataFrame | None = None,
) -> ModelFrame:
    """The model matrix used by training and scoring; counts and price levels of the options table are not
    features (their scale-free distances are). Gaps are forward-filled up to `forward_fill_limit` rows (causal:
    a value only ever moves later in time)."""
    options = options_table.drop(columns=[c for c in NON_FEATURE_COLUMNS if c in options_table])
    frame = assemble(ta_table, options, *([] if extra_table is None else [extra_table]))
    if forward_fill_limit > 0:
        frame = ModelFrame(frame.dates, frame.features.ffill(limit=forward_fill_limit), frame.target)
    infinite = np.isinf(frame.features.to_numpy())
    if infinite.any():
        bad = frame.features.columns[infinite.any(axis=0)].tolist()
        raise ValueError(f"infinite values in feature columns {bad}")
    return frame  # NaN (e.g. no gamma flip on the grid) is left to the models' imputation
