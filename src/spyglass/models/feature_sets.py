"""Feature sets: which columns of the model frame, and which base learners, a candidate model uses.

A set lists tiers of the frame (technical, index, chain, extra: spyglass.features.assemble). Every learner of
`model` takes the set's columns, except that a learner with named features (conf/model/ridge.yaml) takes only
those of them present in the set. A `named` set keeps only such learners: the parsimonious model on its handful
of named features. A set whose last tier has no columns adds nothing to the set before it and is skipped (chain
features left out by the tier policy, a source without volatility indices); a named set is skipped when none
of its learners' features is present.
"""

from __future__ import annotations

from dataclasses import dataclass

from spyglass.errors import ConfigError
from spyglass.features.assemble import ModelFrame
from spyglass.models.oof import BaseModelSpec

TIERS = ("technical", "index", "chain", "extra")
LEARNER_CHOICES = ("all", "named")


@dataclass(frozen=True)
class FeatureSet:
    """conf/comparison: comparison.feature_sets.<name>."""

    name: str
    tiers: tuple[str, ...]
    learners: str = "all"  # "all" learners of `model`, or only those with "named" features

    def __post_init__(self) -> None:
        unknown = [tier for tier in self.tiers if tier not in TIERS]
        if not self.tiers or unknown:
            raise ConfigError(f"comparison.feature_sets.{self.name}.tiers must list tiers among {list(TIERS)}; "
                              f"got {list(self.tiers)}")  # fmt: skip
        if self.learners not in LEARNER_CHOICES:
            raise ConfigError(f"comparison.feature_sets.{self.name}.learners must be one of {list(LEARNER_CHOICES)}, "
                              f"not {self.learners!r}")  # fmt: skip

    def columns(self, frame: ModelFrame) -> list[str]:
        """The frame's columns of the set's tiers, in the frame's order."""
        wanted = {column for tier in self.tiers for column in frame.tiers.get(tier, [])}
        return [column for column in frame.feature_names if column in wanted]

    def learners_for(self, specs: list[BaseModelSpec], columns: list[str]) -> list[BaseModelSpec]:
        """The learners that take part: those with a feature among `columns` (only named ones in a named set)."""
        kept = [spec for spec in specs if spec.features or self.learners == "all"]
        return [spec for spec in kept if spec.positions(columns) != ()]

    def used_columns(self, learners: list[BaseModelSpec], frame: ModelFrame) -> list[str]:
        """The columns of the set that at least one of `learners` sees."""
        columns = self.columns(frame)
        seen = {columns[i] for spec in learners for i in (spec.positions(columns) or range(len(columns)))}
        return [column for column in columns if column in seen]

    def skipped_because(self, frame: ModelFrame, specs: list[BaseModelSpec]) -> str | None:
        """Why the set cannot be fitted on this frame (None when it can)."""
        columns = self.columns(frame)
        if self.learners == "named":
            if not self.learners_for(specs, columns):
                named = sorted({feature for spec in specs for feature in spec.features})
                return f"none of the named features {named} is present" if named else "no learner has named features"
            return None
        for tier in self.tiers:
            if tier != "extra" and not frame.tiers.get(tier):
                return frame.chain_tier.reason if tier == "chain" and frame.chain_tier else f"no {tier} features"
        if not self.learners_for(specs, columns):
            return "no learner takes these features"
        return None


def feature_sets(configured: dict) -> dict[str, FeatureSet]:
    """comparison.feature_sets as FeatureSet objects, in the configured order."""
    if not configured:
        raise ConfigError("comparison.feature_sets must name at least one feature set")
    return {
        name: FeatureSet(name, tuple(entry.get("tiers") or ()), str(entry.get("learners", "all")))
        for name, entry in configured.items()
    }
