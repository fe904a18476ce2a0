"""What the app shows and computes: artifacts of the last pipeline run, and live scoring of the latest day.

Live scoring refreshes data through the configured provider, rebuilds that day's features with the pipeline's
own functions and scores them with the saved (final) models — without rerunning the pipeline. A failed refresh
returns a message and leaves the previous result in place. Sessions share a refresh for a short while
(`SharedResult`): twenty traders pressing Refresh at the open fetch once, not twenty times.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from spyglass.journal import JournalDamagedError, read_journal
from spyglass.models.registry import model_fingerprints

EMPTY_STATE = "No pipeline results yet: run `make run` first, then reload this page."


@dataclass
class Artifacts:
    """The last pipeline run's outputs (None where a file is missing)."""

    paths: dict[str, str]
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    journal: pd.DataFrame | None = None  # the signal journal (make daily); None before the first daily run
    journal_record: dict[str, Any] | None = None  # metrics/journal.json
    journal_problem: str = ""  # why the journal could not be read
    root: Path = Path(".")  # the directory the paths are relative to

    @property
    def ready(self) -> bool:
        return self.tables.get("allocations") is not None and self.manifest is not None


ARTIFACT_TABLES = {
    "prices": "prices",
    "allocations": "allocations",
    "backtest": "backtest_daily",
    "options_features": "options_features",
    "vol_indices": "vol_indices",
    "base_oof": "base_oof",
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
    journal, problem = None, ""
    try:
        journal = read_journal(root / paths["journal"]) if (root / paths["journal"]).exists() else None
    except JournalDamagedError as exc:
        problem = str(exc)
    record_path = root / paths["metrics_dir"] / "journal.json"
    record = json.loads(record_path.read_text()) if record_path.exists() and journal is not None else None
    return Artifacts(paths, tables, manifest, metrics, fingerprints, journal, record, problem, root)


def model_info(artifacts: Artifacts) -> dict[str, Any]:
    """Which saved models score: {name: file fingerprint}, their training window, library versions and the
    forecast's horizon; and the backtest's verdict (one line: does the model beat plain vol targeting)."""
    manifest = artifacts.manifest
    verdict = (artifacts.metrics or {}).get("verdict") or {}
    return {
        "models": artifacts.fingerprints,
        "trained": f"{manifest['train_start']}..{manifest['train_end']}",
        "versions": manifest["versions"],
        "horizon_days": int(manifest.get("horizon_days", 1)),
        **({"verdict": verdict["headline"]} if verdict.get("headline") else {}),
        **({"indices": artifacts.metrics["indices"]} if (artifacts.metrics or {}).get("indices") else {}),
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


def live_score(cfg: dict, root: str | Path = ".") -> dict[str, Any]:
    """Refresh data through the configured provider and score its latest day; {"message": ...} on failure."""
    from spyglass.data import load_market_data
    from spyglass.data.stored import stored_latest_day
    from spyglass.live import score_latest_day

    started = time.perf_counter()
    try:
        market = stored_latest_day(cfg, root) or load_market_data(cfg["data"], int(cfg["seed"]))
    except Exception as exc:  # network down, rate limit, bad file: say so, keep the last result on screen
        return {"message": f"Refresh failed ({cfg['data']['source']}): {exc}"}
    day = score_latest_day(market, cfg, root)
    return {
        "date": day.date.strftime("%Y-%m-%d"),
        "prediction": day.predictions["prediction"],
        **day.sizing,
        "base_predictions": day.base_predictions,
        "scored": day,
        "source": f"live scoring, data={cfg['data']['source']} ({market.description})",
        "seconds": round(time.perf_counter() - started, 2),
    }


class SharedResult:
    """One result shared by every session for `ttl_seconds` (per key): concurrent callers of `get` wait for a
    single computation instead of each running it, and later callers within the ttl reuse it. A computation
    that raises is not kept, so the next caller tries again."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds, self.clock = ttl_seconds, clock
        self._gate = threading.Lock()  # one computation at a time; the others wait, then find it kept
        self._kept: tuple[Hashable, float, Any] | None = None  # (key, when, result): only the newest key

    def get(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, float]:
        """(the result for `key`, its age in seconds): computed now, or kept from a computation within the ttl."""
        with self._gate:
            if self._kept is not None and self._kept[0] == key and self.clock() - self._kept[1] < self.ttl_seconds:
                return self._kept[2], self.clock() - self._kept[1]
            result = compute()
            self._kept = (key, self.clock(), result)
            return result, 0.0
