"""Model manifest: what a saved model needs to be used again (features in order, window, params, versions)."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pandas as pd

LIBRARIES = ("scikit-learn", "xgboost-cpu", "lightgbm", "numpy", "pandas", "spyglass")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape a saved model."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def model_manifest(
    params: dict[str, dict[str, Any]], feature_names: list[str], train_dates: pd.Series, metrics: dict[str, Any]
) -> dict[str, Any]:
    """Manifest for a set of fitted models sharing one feature matrix."""
    return {
        "models": {name: {"file": f"{name}.joblib", "params": p} for name, p in params.items()},
        "features": list(feature_names),
        "train_start": pd.Timestamp(train_dates.iloc[0]).strftime("%Y-%m-%d"),
        "train_end": pd.Timestamp(train_dates.iloc[-1]).strftime("%Y-%m-%d"),
        "oof_metrics": metrics,
        "versions": library_versions(),
    }
