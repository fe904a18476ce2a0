"""Signal-quality metrics of predictions against realised targets (rows with a known target only)."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr


def signal_metrics(prediction: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """rmse; ic = Pearson correlation; rank_ic = Spearman correlation; hit_rate = share of matching signs."""
    known = np.isfinite(target) & np.isfinite(prediction)
    p, y = prediction[known], target[known]
    if len(y) < 3:
        raise ValueError("need at least 3 rows with a known target to score predictions")
    constant = np.std(p) == 0
    return {
        "rmse": float(np.sqrt(np.mean((p - y) ** 2))),
        "ic": 0.0 if constant else float(np.corrcoef(p, y)[0, 1]),
        "rank_ic": 0.0 if constant else float(spearmanr(p, y).statistic),
        "hit_rate": float(np.mean(np.sign(p) == np.sign(y))),
        "n": len(y),
    }
