"""A generated file with the exact schema of the Kaggle Hull Tactical train.csv (which cannot be downloaded
here): the same columns in the same order, binary D* flags, and the real file's pattern of feature families
that start late (missing early in the history), plus sporadic gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FAMILIES = {"D": 9, "E": 20, "I": 9, "M": 18, "P": 13, "S": 12, "V": 13}
# share of the history before each family's columns start (staggered within the family)
LATE_START = {"D": 0.0, "E": 0.3, "I": 0.2, "M": 0.15, "P": 0.1, "S": 0.25, "V": 0.4}


def hull_train_frame(n_days: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {"date_id": np.arange(n_days)}
    for family, count in FAMILIES.items():
        for i in range(1, count + 1):
            if family == "D":
                columns[f"D{i}"] = (rng.random(n_days) < 0.1).astype(int)
                continue
            values = np.cumsum(rng.normal(0, 0.1, n_days)) if family in "MP" else rng.normal(0, 1, n_days)
            start = int(n_days * LATE_START[family] * rng.uniform(0.5, 1.5))
            values[:start] = np.nan
            values[rng.random(n_days) < 0.01] = np.nan
            columns[f"{family}{i}"] = values
    signal = np.nan_to_num(columns["M4"]) * 0.0005
    forward = rng.standard_t(5, n_days) * 0.008 + 0.0003 + signal
    rate = np.clip(0.0001 + np.cumsum(rng.normal(0, 2e-6, n_days)), 0, 0.0003)
    columns["forward_returns"] = forward
    columns["risk_free_rate"] = rate
    excess = pd.Series(forward - rate)
    columns["market_forward_excess_returns"] = (excess - excess.rolling(1260, min_periods=1).mean()).to_numpy()
    return pd.DataFrame(columns)


def write_hull_train_csv(path: Path, n_days: int = 2000, seed: int = 0) -> Path:
    hull_train_frame(n_days, seed).to_csv(path, index=False)
    return path
