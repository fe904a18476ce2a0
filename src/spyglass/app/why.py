"""Why today's allocation: the walk-forward record beside a re-score with the final models, each base model's
prediction and stack weight, the sizing steps, and the features that moved the prediction most.

Two figures can differ for one day, and the page says which is which:
- the **walk-forward record** (`data/allocations.parquet`, what the backtest traded): each day predicted by
  models fitted only on rows before it;
- the **re-score**: the day's features through the final models, refitted on every row through `train_end`.
  For a day inside that window it is in-sample, so it is not a forecast record; for a new day (Refresh, the
  daily run) it is the only forecast there is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spyglass.live import SIZING_STEPS, ScoredDay
from spyglass.models.explain import Explanation
from spyglass.strategy.allocation import SizingPlan

TOP_CONTRIBUTORS = 12
STEP_LABELS = {
    "vol_estimate": "volatility estimate (a year)",
    "allocation_raw": "raw position (sizing rule)",
    "allocation_clipped": "clipped to [{low:g}, {high:g}]",
    "allocation": "smoothed and rebalanced: **the position**",
}


@dataclass(frozen=True)
class DayFigures:
    """One day's numbers from one source: the stack's and each base model's prediction, the sizing steps and
    the position of the day before (None when unknown)."""

    date: pd.Timestamp
    prediction: float
    base: dict[str, float]
    sizing: dict[str, float]
    previous_allocation: float | None
    plan: SizingPlan | None = None  # how it was sized (known for a re-score)


def walk_forward_record(allocations: pd.DataFrame | None, base_oof: pd.DataFrame | None) -> DayFigures | None:
    """The record's last day: its stack prediction and sizing, each base model's walk-forward prediction."""
    if allocations is None or allocations.empty:
        return None
    last = allocations.iloc[-1]
    base: dict[str, float] = {}
    if base_oof is not None:
        same_day = base_oof[pd.to_datetime(base_oof["date"]) == pd.Timestamp(last["date"])]
        base = {c.removeprefix("pred_"): float(same_day[c].iloc[-1]) for c in same_day if c.startswith("pred_")
                } if len(same_day) else {}  # fmt: skip
    previous = float(allocations["allocation"].iloc[-2]) if len(allocations) > 1 else None
    return DayFigures(pd.Timestamp(last["date"]), float(last["prediction"]), base,
                      {step: float(last[step]) for step in SIZING_STEPS}, previous)  # fmt: skip


def rescored_figures(day: ScoredDay, allocations: pd.DataFrame | None) -> DayFigures:
    """A re-scored day's numbers; the previous position is the record's last one before that day."""
    previous = None
    if allocations is not None and len(allocations):
        before = allocations[pd.to_datetime(allocations["date"]) < day.date]
        previous = float(before["allocation"].iloc[-1]) if len(before) else None
    return DayFigures(day.date, day.predictions["prediction"], day.base_predictions, day.sizing, previous, day.plan)


def _bp(value: float | None) -> str:
    return "—" if value is None else f"{value * 1e4:+.1f} bp"


def _cells(figures: DayFigures | None, same_day: bool) -> dict[str, str]:
    """The table's cells for one column ("—" where the column has no figure for that day)."""
    if figures is None or not same_day:
        return {}
    cells = {"stack": _bp(figures.prediction)}
    cells |= {f"model {name}": _bp(value) for name, value in figures.base.items()}
    cells["vol_estimate"] = f"{figures.sizing['vol_estimate']:.1%}"
    cells |= {step: f"{figures.sizing[step]:.2f}" for step in SIZING_STEPS[1:]}
    cells["allocation"] = f"**{figures.sizing['allocation']:.2f}**"
    if figures.previous_allocation is not None:
        change = figures.sizing["allocation"] - figures.previous_allocation
        cells["change"] = f"{change:+.2f} (from {figures.previous_allocation:.2f})"
    return cells


def why_markdown(
    record: DayFigures | None, rescore: DayFigures, explanation: Explanation, allocation_cfg: dict, trained: str
) -> str:
    """The record and the re-score side by side (the record's column empty when the re-scored day is after
    it), the stack's formula, and what each figure is."""
    same_day = record is not None and record.date == rescore.date
    columns = [_cells(record, same_day), _cells(rescore, True)]
    weights = explanation.weights
    horizon = rescore.plan.horizon_days if rescore.plan else 1
    rows = [("stack", f"prediction of the stack ({horizon}-day excess log return)")]
    rows += [(f"model {name}", f"{name} (final stack weight {weights.get(name, 0.0):.2f})") for name in weights]
    bounds = {"low": allocation_cfg["min_position"], "high": allocation_cfg["max_position"]}
    rows += [(step, STEP_LABELS[step].format(**bounds)) for step in SIZING_STEPS]
    rows.append(("change", "change since the previous day"))
    record_head = "walk-forward record" + ("" if same_day else " (ends " + (
        f"{record.date:%Y-%m-%d})" if record is not None else "— none yet)"))  # fmt: skip
    lines = [
        f"#### Why the position is {rescore.sizing['allocation']:.2f} on {rescore.date:%Y-%m-%d}",
        f"| | {record_head} | re-score with the final models |",
        "|---|---|---|",
        *(f"| {label} | {columns[0].get(key, '—')} | {columns[1].get(key, '—')} |" for key, label in rows),
        "",
        "Final stack: "
        + " + ".join(f"{w:.2f} × {name}" for name, w in weights.items())
        + f" {explanation.intercept * 1e4:+.1f} bp (the record's stack was refitted in each walk-forward fold). "
        f"**Walk-forward record**: what the backtest traded, each day predicted by models fitted only on earlier "
        f"rows. **Re-score**: the same day's features through the final models, refitted on {trained}; inside "
        "that window it is in-sample (not a forecast record), for a new day it is the forecast. "
        + sizing_sentence(rescore, allocation_cfg, rescore.plan),
    ]
    return "\n".join(lines)


def sizing_sentence(figures: DayFigures, allocation_cfg: dict, plan: SizingPlan | None) -> str:
    """How the sizing steps turned the prediction into the position, in words."""
    steps = figures.sizing
    method = (plan.method or "the plain vol target: the model adds nothing measurable") if plan else "?"
    sentence = f"Sizing ({method}): raw position {steps['allocation_raw']:.2f}"
    if steps["allocation_clipped"] != steps["allocation_raw"]:
        sentence += f", clipped to {steps['allocation_clipped']:.2f}"
    halflife = float(allocation_cfg["smoothing_halflife"])
    if halflife > 0:
        sentence += f"; smoothing (half-life {halflife:g} days) blends it with the previous days' positions"
    if plan and plan.rebalance != "daily":
        sentence += f"; the position changes on the {plan.rebalance} schedule only (first trading day of the period)"
    return sentence + f": {steps['allocation']:.2f}."


def contributions_table(explanation: Explanation, n: int = TOP_CONTRIBUTORS) -> pd.DataFrame:
    """The top contributors to the stack's prediction, with each base model's share (all in bp)."""
    top = explanation.top(n)
    models = list(explanation.contributions.columns)
    top[models] = top[models] * 1e4
    return top
