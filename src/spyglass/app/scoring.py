"""What the app shows and computes: artifacts of the last pipeline run, and live scoring of the latest day.

Live scoring refreshes data through the configured provider, rebuilds that day's features with the pipeline's
own functions and scores them with the saved (final) models — without rerunning the pipeline. A failed refresh
returns a message and leaves the previous result in place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spyglass.features.technical import ta_feature_table
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.models.registry import model_fingerprints, score
from spyglass.strategy.allocation import allocation_for_day

EMPTY_STATE = "No pipeline results yet: run `make run` first, then reload this page."


@dataclass
class Artifacts:
    """The last pipeline run's outputs (None where a file is missing)."""

    paths: dict[str, str]
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.tables.get("allocations") is not None and self.manifest is not None


ARTIFACT_TABLES = {
    "prices": "prices",
    "allocations": "allocations",
    "backtest": "backtest_daily",
    "options_features": "options_features",
}


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def load_artifacts(paths: dict[str, str], root: str | Path = ".") -> Artifacts:
    """Read what exists of the pipeline's outputs under `root`."""
    root = Path(root)
    tables = {name: _read(root / paths[key]) for name, key in ARTIFACT_TABLES.items()}
    latest = root / paths["options_latest"]
    for name in ("by_strike", "by_expiry", "gamma_profile"):
        tables[name] = _read(latest / f"{name}.parquet")
    manifest_path, metrics_path = (
        root / paths["base_dir"] / "manifest.json",
        root / paths["metrics_dir"] / "backtest.json",
    )
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    fingerprints = model_fingerprints(manifest_path.parent, manifest) if manifest else {}
    return Artifacts(paths, tables, manifest, metrics, fingerprints)


def model_info(artifacts: Artifacts) -> dict[str, Any]:
    """Which saved models score: {name: file fingerprint}, their training window and library versions."""
    manifest = artifacts.manifest
    return {
        "models": artifacts.fingerprints,
        "trained": f"{manifest['train_start']}..{manifest['train_end']}",
        "versions": manifest["versions"],
    }


def latest_signal(artifacts: Artifacts) -> dict[str, Any]:
    """The latest date's prediction, volatility estimate and allocation, with the models that produced them."""
    if not artifacts.ready:
        return {"message": EMPTY_STATE}
    last = artifacts.tables["allocations"].iloc[-1]
    return {
        "date": pd.Timestamp(last["date"]).strftime("%Y-%m-%d"),
        "prediction": float(last["prediction"]),
        "vol_estimate": float(last["vol_estimate"]),
        "allocation": float(last["allocation"]),
        **model_info(artifacts),
        "source": "pipeline run (walk-forward prediction)",
    }


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


def live_score(cfg: dict, root: str | Path = ".") -> dict[str, Any]:
    """Refresh data through the configured provider and score its latest day; {"message": ...} on failure."""
    from spyglass.data import load_market_data
    from spyglass.options.features import options_feature_table

    started = time.perf_counter()
    paths = cfg["paths"]
    try:
        market = load_market_data(cfg["data"], int(cfg["seed"]))
    except Exception as exc:  # network down, rate limit, bad file: say so, keep the last result on screen
        return {"message": f"Refresh failed ({cfg['data']['source']}): {exc}"}
    options_row = None
    if market.chains is not None and market.chains.height:
        import polars as pl

        latest = market.chains.filter(pl.col("snapshot_date") == pl.col("snapshot_date").max())
        options_row, _ = options_feature_table(latest, cfg["data"], cfg["features"]["options"])
    extra = market.extra_features.tail(1) if market.extra_features is not None else None
    vol_index_row = None
    if market.vol_indices is not None:
        spec = VolIndexSpec.from_config(cfg["features"]["vol_index"])
        vol_index_row = vol_index_features(market.vol_indices, market.prices, spec)[0].tail(1)
    root = Path(root)
    predictions = score_day(
        market.prices, options_row, extra, cfg, root / paths["base_dir"], root / paths["meta_model"], vol_index_row
    )
    today = pd.Timestamp(market.prices["date"].iloc[-1])
    history = _read(root / paths["allocations"])  # the pipeline's walk-forward predictions: the sizing's memory
    if history is None:
        history = pd.DataFrame({"date": pd.to_datetime([]), "prediction": []})
    prediction = float(predictions["prediction"].iloc[-1])
    row = allocation_for_day(history, today, prediction, market.prices, cfg["allocation"])
    day = {name: float(row[name]) for name in ("vol_estimate", "allocation_raw", "allocation_clipped", "allocation")}
    return {
        "date": today.strftime("%Y-%m-%d"),
        "prediction": float(predictions["prediction"].iloc[-1]),
        **day,
        "base_predictions": {
            c.removeprefix("pred_"): float(predictions[c].iloc[-1]) for c in predictions if c.startswith("pred_")
        },
        "source": f"live scoring, data={cfg['data']['source']} ({market.description})",
        "seconds": round(time.perf_counter() - started, 2),
    }
