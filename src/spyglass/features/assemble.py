"""Join feature tables on date into the model matrix. Every table is known at close t, so the join is causal.

Tiers: technical features and implied-volatility index features (decades of history) always enter the model.
Chain-snapshot features (put/call ratios, exposures, snapshot smile) exist only from the day snapshots were
first collected, so they enter it only where the store covers the training rows: `chain_features` is `always`,
`never`, or `auto` (included when snapshots cover at least `min_history_days` of the model rows). Included,
they restrict the model to the days that have a snapshot; no row is ever filled from the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spyglass.errors import ConfigError, DataError
from spyglass.features.targets import is_target, target_column
from spyglass.schemas import NON_FEATURE_COLUMNS

CHAIN_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class TierPolicy:
    """When chain-snapshot features enter the model (conf: features.options.chain_features, min_history_days)."""

    chain_features: str = "auto"
    min_history_days: int = 504

    def __post_init__(self) -> None:
        if self.chain_features not in CHAIN_MODES:
            choices = ", ".join(CHAIN_MODES)
            raise ConfigError(f"features.options.chain_features must be one of {choices}, not {self.chain_features!r}")


@dataclass(frozen=True)
class ChainTier:
    """What the policy decided: covered_rows = model rows (technical + index) with a chain snapshot."""

    mode: str
    included: bool
    covered_rows: int
    model_rows: int
    min_history_days: int

    @property
    def reason(self) -> str:
        coverage = f"snapshots cover {self.covered_rows} of {self.model_rows} model rows"
        if self.mode == "never":
            return f"chain-snapshot features left out (chain_features=never; {coverage})"
        if self.mode == "always":
            return f"chain-snapshot features included (chain_features=always; {coverage})"
        verdict = "included" if self.included else "left out"
        relation = ">=" if self.included else "<"
        return f"chain-snapshot features {verdict}: {coverage} ({relation} min_history_days {self.min_history_days})"

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "included": self.included,
            "covered_rows": self.covered_rows,
            "model_rows": self.model_rows,
            "min_history_days": self.min_history_days,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ModelFrame:
    """Aligned features X (rows = dates, sorted), target y (the forward `horizon_days` excess log return; NaN
    where not yet realised) and dates; `tiers` maps each feature tier (technical, index, chain, extra) to its
    columns."""

    dates: pd.Series
    features: pd.DataFrame
    target: pd.Series
    tiers: dict[str, list[str]] = field(default_factory=dict)
    chain_tier: ChainTier | None = None
    horizon_days: int = 1

    @property
    def feature_names(self) -> list[str]:
        return list(self.features.columns)


def _columns(table: pd.DataFrame | None) -> list[str]:
    return [] if table is None or not len(table) else [c for c in table.columns if c != "date" and not is_target(c)]


def chain_tier(model_dates: pd.Series, chain_table: pd.DataFrame, policy: TierPolicy) -> ChainTier:
    """Whether chain-snapshot features enter the model, given the dates of the other tiers' rows."""
    covered = int(model_dates.isin(chain_table["date"]).sum()) if len(chain_table) else 0
    if policy.chain_features == "always" and covered == 0:
        raise ConfigError("features.options.chain_features=always, but no option snapshot falls on a model row")
    included = {"always": True, "never": False}.get(policy.chain_features, covered >= policy.min_history_days)
    return ChainTier(policy.chain_features, included and covered > 0, covered, len(model_dates),
                     policy.min_history_days)  # fmt: skip


def model_frame_from_tables(
    ta_table: pd.DataFrame,
    options_table: pd.DataFrame,
    forward_fill_limit: int = 0,
    extra_table: pd.DataFrame | None = None,
    vol_index_table: pd.DataFrame | None = None,
    policy: TierPolicy | None = None,
    horizon_days: int = 1,
) -> ModelFrame:
    """The model matrix used by training and scoring: technical features inner-joined with the index features
    and the source's extra features (days all of them cover; an empty table adds nothing), then the chain
    features where the policy includes them. Counts and price levels of the chain table are not features
    (their scale-free distances are). Gaps are forward-filled up to `forward_fill_limit` rows (causal). The
    target is the technical table's target_ret_<horizon_days>d."""
    policy = policy or TierPolicy()
    chain = options_table.drop(columns=[c for c in NON_FEATURE_COLUMNS if c in options_table])
    merged = ta_table
    for table in (vol_index_table, extra_table):
        if table is not None and len(table):
            merged = merged.merge(table, on="date", how="inner")
    tier = chain_tier(merged["date"], chain, policy)
    if tier.included:
        merged = merged.merge(chain, on="date", how="inner")
    merged = merged.sort_values("date").reset_index(drop=True)
    if merged.empty:
        raise DataError("no dates in common between the feature tables")
    tiers = {
        "technical": _columns(ta_table),
        "index": _columns(vol_index_table),
        "chain": _columns(chain) if tier.included else [],
        "extra": _columns(extra_table),
    }
    target = target_column(horizon_days)
    if target not in merged:
        raise ConfigError(f"the technical features hold no {target}: rerun ta_features with {horizon_days} among "
                          "target.horizon_days")  # fmt: skip
    features = merged.drop(columns=["date", *filter(is_target, merged.columns)]).astype(float)
    if forward_fill_limit > 0:
        features = features.ffill(limit=forward_fill_limit)
    infinite = np.isinf(features.to_numpy())
    if infinite.any():
        bad = features.columns[infinite.any(axis=0)].tolist()
        raise DataError(f"infinite values in feature columns {bad}")
    # NaN (e.g. no gamma flip on the grid) is left to the models' imputation
    return ModelFrame(merged["date"], features, merged[target].astype(float), tiers, tier, int(horizon_days))
