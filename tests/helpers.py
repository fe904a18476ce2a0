"""Small builders shared by tests."""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from spyglass.ablation import Comparison, compare
from spyglass.backtest.engine import backtest_with_benchmarks
from spyglass.data import MarketData
from spyglass.features.tables import FeatureTables
from spyglass.features.targets import horizons
from spyglass.features.technical import ta_feature_table
from spyglass.features.vol_index import VolIndexSpec, vol_index_features
from spyglass.models.feature_sets import feature_sets
from spyglass.models.meta import MetaTraining, stacked_predictions
from spyglass.models.training import BaseTraining, base_model_predictions
from spyglass.options.features import OptionsAnalytics, options_feature_table
from spyglass.pipeline import STAGES
from spyglass.strategy.allocation import get_allocations
from spyglass.strategy.choice import Choice

REPO_ROOT = Path(__file__).resolve().parents[1]


def good_prices(n: int = 6) -> pd.DataFrame:
    close = np.linspace(100, 105, n)
    return pd.DataFrame(
        {
            "date": pd.bdate_range("2020-01-01", periods=n),
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "adj_close": close,
            "volume": np.full(n, 1e6),
        }
    )


@dataclass
class PipelineRun:
    """Every stage's core output of one in-memory run (the functions the stages call, in their order)."""

    options: pd.DataFrame
    analytics: OptionsAnalytics
    ta: pd.DataFrame
    vol_index: pd.DataFrame
    base: BaseTraining
    meta: MetaTraining
    allocations: pd.DataFrame
    daily: pd.DataFrame
    choice: Choice
    comparison: Comparison | None = None  # None when the choice was given


def run_pipeline(market: MarketData, cfg: dict, choice: Choice | None = None) -> PipelineRun:
    """The pipeline on `market` with a composed config, in memory (no DVC, no files): the comparison picks the
    candidate (unless `choice` names one), which is then trained, stacked, sized and backtested."""
    options, analytics = options_feature_table(market.chains, cfg["data"], cfg["features"]["options"])
    ta = ta_feature_table(market.prices, cfg["features"]["technical"], cfg["data"]["risk_free_rate"],
                          horizons(cfg["target"]["horizon_days"]))  # fmt: skip
    spec = VolIndexSpec.from_config(cfg["features"]["vol_index"])
    vol_index, _ = vol_index_features(market.vol_indices, market.prices, spec)
    tables = FeatureTables(ta, options, vol_index=vol_index)
    comparison = compare(tables, market.prices, cfg) if choice is None else None
    choice = comparison.choice if comparison is not None else choice
    feature_set = feature_sets(cfg["comparison"]["feature_sets"])[choice.feature_set]
    base = base_model_predictions(tables, cfg, choice.horizon_days, feature_set)
    meta = stacked_predictions(base.oof, cfg["meta"], cfg["cv"]["gap"], cfg["cv"]["embargo"], choice.horizon_days)
    allocations = get_allocations(meta.oof, market.prices, cfg["allocation"], choice.plan(cfg["allocation"]))
    daily = backtest_with_benchmarks(allocations, market.prices, 2.0, cfg["data"]["risk_free_rate"])
    return PipelineRun(options, analytics, ta, vol_index, base, meta, allocations, daily, choice, comparison)


def run_stage_script(repo_root, monkeypatch, stage: str, overrides: list[str]) -> None:
    """Run stages/<stage>.py's main through the shared stage shell, from the repo root, with Hydra overrides."""
    from spyglass.cli import run_stage

    spec = importlib.util.spec_from_file_location(f"{stage}_stage", repo_root / "stages" / f"{stage}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(repo_root)
    monkeypatch.setenv("SPYGLASS_TIMINGS_DIR", tempfile.mkdtemp(prefix="timings."))  # not the repo's timings/
    run_stage(module.main, overrides)


def stage_paths(root: Path) -> list[str]:
    """Overrides putting every stage output (conf/paths) under `root`, as the repo lays them out."""
    paths = OmegaConf.load(REPO_ROOT / "conf" / "paths" / "default.yaml")
    return [f"paths.{key}={root}/{value}" for key, value in paths.items()]


def run_stages(repo_root: Path, monkeypatch, overrides: list[str]) -> None:
    """Every stage in dvc.yaml's order, in this process (no DVC, no interpreter start-up per stage)."""
    for stage in STAGES:
        run_stage_script(repo_root, monkeypatch, stage, overrides)
