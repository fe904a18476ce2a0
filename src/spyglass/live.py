"""Scoring the latest day of freshly loaded data with the saved models: the core the app's refresh and the daily
run share. The day's features are rebuilt with the pipeline's own functions, the saved base models and stack
score them (no retraining), and `allocation_for_day` sizes the position with `get_allocations` itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.features.technical import ta_feature_table
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.models.registry import score
from spyglass.options.features import options_feature_table
from spyglass.strategy.allocation import allocation_for_day

SIZING_STEPS = ("vol_estimate", "allocation_raw", "allocation_clipped", "allocation")


@dataclass
class ScoredDay:
    """The latest day of `market`: each saved model's prediction and the stack's, and get_allocations' row."""

    date: pd.Timestamp
    predictions: dict[str, float]  # pred_<model> for each base model, and "prediction" (the stack)
    allocation: pd.Series  # vol_estimate, allocation_raw, allocation_clipped, allocation, ...

    @property
    def sizing(self) -> dict[str, float]:
        """The position and the steps to it: vol estimate, raw, clipped and final (smoothed) allocation."""
        return {name: float(self.allocation[name]) for name in SIZING_STEPS}

    @property
    def base_predictions(self) -> dict[str, float]:
        return {k.removeprefix("pred_"): v for k, v in self.predictions.items() if k.startswith("pred_")}


def score_day(
    prices: pd.DataFrame,
    options_row: pd.DataFrame | None,
    extra_row: pd.DataFrame | None,
    cfg: dict,
    models_dir: str | Path,
    meta_path: str | Path,
    vol_index_row: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Predictions of the saved models and the stack for the last date of `prices` (features rebuilt here).

    Every tier's row is joined on the date; the models' manifest decides which columns they take (chain-snapshot
    features only when they were trained with them)."""
    ta = ta_feature_table(prices, cfg["features"]["technical"], float(cfg["data"]["risk_free_rate"])).tail(1)
    row = ta.drop(columns="target_ret_1d")
    for extra in (vol_index_row, options_row, extra_row):
        if extra is not None and len(extra):
            row = row.merge(extra, on="date", how="left")
    trained_on = set(json.loads((Path(models_dir) / "manifest.json").read_text())["features"])
    return score(models_dir, meta_path, row[[c for c in row.columns if c == "date" or c in trained_on]])


def score_latest_day(market: MarketData, cfg: dict, root: str | Path = ".") -> ScoredDay:
    """Score the last bar date of `market` with the models saved under `root` and size its position after the
    pipeline's walk-forward record (`paths.allocations`, the smoothing's memory; none yet is fine)."""
    options_row = None
    if market.chains is not None and market.chains.height:
        latest = market.chains.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max())
        options_row, _ = options_feature_table(latest, cfg["data"], cfg["features"]["options"])
    extra = market.extra_features.tail(1) if market.extra_features is not None else None
    vol_index_row = None
    if market.vol_indices is not None:
        spec = VolIndexSpec.from_config(cfg["features"]["vol_index"])
        vol_index_row = vol_index_features(market.vol_indices, market.prices, spec)[0].tail(1)
    root, paths = Path(root), cfg["paths"]
    scored = score_day(
        market.prices, options_row, extra, cfg, root / paths["base_dir"], root / paths["meta_model"], vol_index_row
    )
    predictions = {c: float(scored[c].iloc[-1]) for c in scored.columns if c.startswith("pred") or c == "prediction"}
    day = pd.Timestamp(market.prices["date"].iloc[-1])
    history_path = root / paths["allocations"]
    history = (pd.read_parquet(history_path) if history_path.exists()
               else pd.DataFrame({"date": pd.to_datetime([]), "prediction": []}))  # fmt: skip
    allocation = allocation_for_day(history, day, predictions["prediction"], market.prices, cfg["allocation"])
    return ScoredDay(day, predictions, allocation)
