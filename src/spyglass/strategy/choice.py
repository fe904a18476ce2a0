"""The comparison's choice: which candidate (horizon, feature set, sizing) the product runs, and whether it was
adopted or the product holds the plain vol target (the rule: docs/design.md, spyglass.backtest.verdict).

The ablation stage writes it (`paths.choice`); train_base and train_meta train the chosen candidate (also when it
was not adopted: the app still shows what it forecasts), and allocate, the daily run and the app size with
`Choice.plan` so all three hold the same position.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from spyglass.errors import DataError
from spyglass.strategy.allocation import SizingPlan, rebalance_schedule

FALLBACK_SCHEDULE = "monthly"  # the plain vol target the product holds when nothing beats it


@dataclass(frozen=True)
class Choice:
    """The candidate the rule ranked first and whether it was adopted; `reason` says why in one sentence."""

    adopted: bool
    horizon_days: int
    feature_set: str
    sizing: str
    reason: str
    difference: float | None = None  # its net Sharpe minus its vol target's
    low: float | None = None  # the bootstrap interval of that difference
    high: float | None = None
    pbo: float | None = None  # of the candidate set

    @property
    def candidate(self) -> str:
        return candidate_name(self.horizon_days, self.feature_set, self.sizing)

    def plan(self, allocation_cfg: dict) -> SizingPlan:
        """How allocate sizes: the chosen sizing on its horizon's schedule, or the plain vol target (monthly)."""
        if not self.adopted:
            return SizingPlan(None, self.horizon_days, FALLBACK_SCHEDULE)
        return SizingPlan(self.sizing, self.horizon_days, rebalance_schedule(allocation_cfg["rebalance"],
                                                                             self.horizon_days))  # fmt: skip

    def headline(self) -> str:
        """One line: does the model beat plain vol targeting, by how much, with the interval."""
        if self.difference is None:
            return f"No comparison: {self.reason}"
        interval = f"{self.difference:+.2f} Sharpe [{self.low:+.2f}, {self.high:+.2f}] against the vol target"
        if self.adopted:
            return f"The model beats plain vol targeting: {self.candidate}, {interval}."
        return (f"The model adds nothing measurable: holding the plain vol target. Best candidate {self.candidate}, "
                f"{interval}.")  # fmt: skip

    def as_dict(self) -> dict:
        return asdict(self) | {"candidate": self.candidate}


def candidate_name(horizon_days: int, feature_set: str, sizing: str) -> str:
    """ "63d parsimonious vol_tilt"."""
    return f"{horizon_days}d {feature_set} {sizing}"


def read_choice(path: str | Path) -> Choice:
    """The choice the ablation stage wrote; DataError naming the file when it is missing or unreadable."""
    path = Path(path)
    try:
        entry = json.loads(path.read_text())
        fields = {name: entry[name] for name in Choice.__dataclass_fields__ if name in entry}
        return Choice(**fields)
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: no readable choice of the ablation stage ({exc}); run `dvc repro`") from None
