"""Scoring the latest day of freshly loaded data with the saved models: the core the app's refresh and the daily
run share. The day's features are rebuilt with the pipeline's own functions, the saved base models and stack
score them (no retraining), and `allocation_for_day` sizes the position with `get_allocations` itself.
`score_stored_day` does the same for the last day of the pipeline's own feature tables (the app's page load).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.features.tables import read_feature_tables
from spyglass.features.targets import is_target
from spyglass.features.technical import ta_feature_table
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.io import read_table
from spyglass.models.registry import score
from spyglass.options.features import options_feature_table
from spyglass.schemas import PricesSchema
from spyglass.strategy.allocation import SizingPlan, allocation_for_day
from spyglass.strategy.choice import read_choice

SIZING_STEPS = ("vol_estimate", "allocation_raw", "allocation_clipped", "allocation")


@dataclass
class ScoredDay:
    """The latest day of `market`: each saved model's prediction and the stack's, and get_allocations' row."""

    date: pd.Timestamp
    predictions: dict[str, float]  # pred_<model> for each base model, and "prediction" (the stack)
    allocation: pd.Series  # vol_estimate, allocation_raw, allocation_clipped, allocation, ...
    features: pd.DataFrame  # the row the models scored (date + the manifest's features)
    options_row: pd.DataFrame | None = None  # the day's options features (all columns), where it has a chain
    plan: SizingPlan | None = None  # how it was sized (the comparison's choice)

    @property
    def sizing(self) -> dict[str, float]:
        """The position and the steps to it: vol estimate, raw, clipped and final (smoothed) allocation."""
        return {name: float(self.allocation[name]) for name in SIZING_STEPS}

    @property
    def base_predictions(self) -> dict[str, float]:
        return {k.removeprefix("pred_"): v for k, v in self.predictions.items() if k.startswith("pred_")}


def model_row(
    ta_row: pd.DataFrame,
    tier_rows: list[pd.DataFrame | None],
    models_dir: str | Path,
) -> pd.DataFrame:
    """One day's input to the saved models: its technical row (without the target) joined on the date with each
    other tier's row (volatility index, chain, the source's extras; None or empty adds nothing), keeping the
    columns the models' manifest lists (chain-snapshot features only when they were trained with them)."""
    row = ta_row.drop(columns=[c for c in ta_row.columns if is_target(c)])
    for extra in tier_rows:
        if extra is not None and len(extra):
            row = row.merge(extra, on="date", how="left")
    trained_on = set(json.loads((Path(models_dir) / "manifest.json").read_text())["features"])
    return row[[c for c in row.columns if c == "date" or c in trained_on]]


def technical_row(prices: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The technical features (and the 1-day target column, unknown on that day) of the last date of `prices`."""
    return ta_feature_table(prices, cfg["features"]["technical"], float(cfg["data"]["risk_free_rate"])).tail(1)


def score_row(
    row: pd.DataFrame, prices: pd.DataFrame, cfg: dict, root: str | Path = ".", options_row: pd.DataFrame | None = None
) -> ScoredDay:
    """Score one model row (see `model_row`) with the models saved under `root` and size its position as the
    pipeline does (the comparison's choice, `paths.choice`), after its walk-forward record (`paths.allocations`:
    the sizing's, smoothing's and schedule's memory; none yet is fine)."""
    root, paths = Path(root), cfg["paths"]
    scored = score(root / paths["base_dir"], root / paths["meta_model"], row)
    predictions = {c: float(scored[c].iloc[-1]) for c in scored.columns if c.startswith("pred") or c == "prediction"}
    day = pd.Timestamp(row["date"].iloc[-1])
    history_path = root / paths["allocations"]
    history = (pd.read_parquet(history_path) if history_path.exists()
               else pd.DataFrame({"date": pd.to_datetime([]), "prediction": []}))  # fmt: skip
    plan = read_choice(root / paths["choice"]).plan(cfg["allocation"])
    allocation = allocation_for_day(history, day, predictions["prediction"], prices, cfg["allocation"], plan)
    return ScoredDay(day, predictions, allocation, row, options_row, plan)


def score_latest_day(market: MarketData, cfg: dict, root: str | Path = ".") -> ScoredDay:
    """Score the last bar date of `market`: its features rebuilt with the pipeline's functions, then `score_row`."""
    options_row = None
    if market.chains is not None and market.chains.height:
        latest = market.chains.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max())
        options_row, _ = options_feature_table(latest, cfg["data"], cfg["features"]["options"])
    extra = market.extra_features.tail(1) if market.extra_features is not None else None
    vol_index_row = None
    if market.vol_indices is not None:
        spec = VolIndexSpec.from_config(cfg["features"]["vol_index"])
        vol_index_row = vol_index_features(market.vol_indices, market.prices, spec)[0].tail(1)
    models_dir = Path(root) / cfg["paths"]["base_dir"]
    row = model_row(technical_row(market.prices, cfg), [vol_index_row, options_row, extra], models_dir)
    return score_row(row, market.prices, cfg, root, options_row)


def score_stored_day(cfg: dict, root: str | Path = ".") -> ScoredDay:
    """Score the last day of the pipeline's own feature tables (no data fetched): what the final models say
    about the day the walk-forward record ends on."""
    root = Path(root)
    tables = read_feature_tables(cfg["paths"], root)
    last = tables.technical["date"].max()
    on_last = [
        t[t["date"] == last] if t is not None else None for t in (tables.vol_index, tables.options, tables.extra)
    ]
    row = model_row(tables.technical[tables.technical["date"] == last], on_last, root / cfg["paths"]["base_dir"])
    prices = read_table(root / cfg["paths"]["prices"], PricesSchema)
    options_row = on_last[1] if on_last[1] is not None and len(on_last[1]) else None
    return score_row(row, prices, cfg, root, options_row)
