"""Read the feature tables a model is built from (the stages' outputs), each validated against its schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spyglass.io import read_table
from spyglass.schemas import (
    DatedSchema,
    ExtraFeaturesSchema,
    OptionsFeaturesSchema,
    TechnicalFeaturesSchema,
    VolIndexFeaturesSchema,
    validate,
)


@dataclass(frozen=True)
class FeatureTables:
    """technical (with the target), chain-snapshot options, the source's extra and volatility-index features
    (None or empty where a source has none)."""

    technical: pd.DataFrame
    options: pd.DataFrame
    extra: pd.DataFrame | None = None
    vol_index: pd.DataFrame | None = None


def read_feature_tables(paths: dict, root: str | Path = ".") -> FeatureTables:
    """The four tables under `root` at the configured paths (the options table is empty for a source without
    options, and validated only when it has rows)."""
    root = Path(root)
    options = read_table(root / paths["options_features"], DatedSchema)
    if len(options):
        options = validate(options, OptionsFeaturesSchema, root / paths["options_features"])
    return FeatureTables(
        technical=read_table(root / paths["ta_features"], TechnicalFeaturesSchema),
        options=options,
        extra=read_table(root / paths["extra_features"], ExtraFeaturesSchema),
        vol_index=read_table(root / paths["vol_index_features"], VolIndexFeaturesSchema),
    )
