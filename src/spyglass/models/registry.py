"""Model manifest: what a saved model needs to be used again (features in order, window, params, versions)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from spyglass.errors import DataError
from spyglass.io import json_text, write_with
from spyglass.models.base import portable

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


def stack_manifest(
    inputs: list[str], train_dates: pd.Series, params: dict[str, Any], metrics: dict[str, Any]
) -> dict[str, Any]:
    """Manifest of the meta-learner: its inputs (base prediction columns, in order), window, params, metrics."""
    return {
        "model": {"file": "meta.joblib", "params": params},
        "inputs": list(inputs),
        "train_start": pd.Timestamp(train_dates.iloc[0]).strftime("%Y-%m-%d"),
        "train_end": pd.Timestamp(train_dates.iloc[-1]).strftime("%Y-%m-%d"),
        "metrics": metrics,
        "versions": library_versions(),
    }


class FeatureMismatchError(DataError):
    """Input columns differ from the ones the models were trained on."""


def save_models(directory: Path, models: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Write each fitted model as <name>.joblib (machine-independent bytes: see `portable`), the manifest, and
    the best params beside them."""
    for name, model in models.items():
        joblib.dump(portable(model), directory / f"{name}.joblib")
    (directory / "manifest.json").write_text(json_text(manifest))
    best = {name: entry["params"] for name, entry in manifest["models"].items()}
    (directory / "best_params.json").write_text(json_text(best))


def save_stack(path: str | Path, model: Any, inputs: list[str]) -> None:
    """Write the fitted meta-learner and the base-prediction columns it takes, atomically."""
    write_with(lambda tmp: joblib.dump({"model": model, "inputs": inputs}, tmp), path)


def load_models(directory: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, {name: fitted model}) from a directory written by save_models."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    return manifest, {name: joblib.load(directory / entry["file"]) for name, entry in manifest["models"].items()}


def model_fingerprints(directory: str | Path, manifest: dict[str, Any]) -> dict[str, str]:
    """{name: first 10 hex digits of the SHA-256 of its saved file}: which trained model is in use."""
    directory = Path(directory)
    return {
        name: hashlib.sha256((directory / entry["file"]).read_bytes()).hexdigest()[:10]
        for name, entry in sorted(manifest["models"].items())
    }


def feature_matrix(manifest: dict[str, Any], features: pd.DataFrame) -> np.ndarray:
    """The columns the models expect, in their order; FeatureMismatchError names what is missing or extra."""
    expected = list(manifest["features"])
    given = [c for c in features.columns if c != "date"]
    missing = [c for c in expected if c not in given]
    extra = [c for c in given if c not in expected]
    if missing or extra:
        raise FeatureMismatchError(
            f"input does not match the models' manifest (trained {manifest['train_start']}..{manifest['train_end']}): "
            f"missing {missing or 'none'}, unexpected {extra or 'none'}"
        )
    return features[expected].to_numpy(dtype=float)


def score(base_dir: str | Path, meta_path: str | Path, features: pd.DataFrame) -> pd.DataFrame:
    """Predictions of every saved base model and of the stack for the given feature rows."""
    manifest, models = load_models(base_dir)
    x = feature_matrix(manifest, features)
    predictions = pd.DataFrame({f"pred_{name}": model.predict(x) for name, model in models.items()})
    meta = joblib.load(meta_path)
    predictions["prediction"] = meta["model"].predict(predictions[meta["inputs"]].to_numpy())
    if "date" in features:
        predictions.insert(0, "date", features["date"].to_numpy())
    return predictions
