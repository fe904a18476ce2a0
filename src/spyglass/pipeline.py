"""The pipeline's shape, written once: its stages in the order `dvc repro` runs them (dvc.yaml, per ticker of the
portfolio). Timing tables, the benchmarks and the tests read it; a test checks dvc.yaml against it."""

from __future__ import annotations

STAGES: tuple[str, ...] = (
    "fetch",
    "options_features",
    "ta_features",
    "ablation",
    "train_base",
    "train_meta",
    "allocate",
    "backtest",
)
