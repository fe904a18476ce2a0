"""Signal-quality metrics of predictions against realised targets (rows with a known target only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from spyglass.errors import DataError


def signal_metrics(prediction: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """rmse; ic = Pearson correlation; rank_ic = Spearman correlation; hit_rate = share of matching signs."""
    known = np.isfinite(target) & np.isfinite(prediction)
    p, y = prediction[known], target[known]
    if len(y) < 3:
        raise DataError("need at least 3 rows with a known target to score predictions")
    constant = np.std(p) == 0
    return {
        "rmse": float(np.sqrt(np.mean((p - y) ** 2))),
        "ic": 0.0 if constant else float(np.corrcoef(p, y)[0, 1]),
        "rank_ic": 0.0 if constant else float(spearmanr(p, y).statistic),
        "hit_rate": float(np.mean(np.sign(p) == np.sign(y))),
        "n": len(y),
    }


def rolling_ic(dates: pd.Series, target: np.ndarray, predictions: dict[str, np.ndarray], window: int) -> pd.DataFrame:
    """Rolling Pearson IC of each prediction with the realised target over `window` rows (NaN until full).

    Rows whose target is not yet known are dropped first.
    """
    known = np.isfinite(target)
    frame = pd.DataFrame({name: values[known] for name, values in predictions.items()})
    realised = pd.Series(target[known])
    ic = frame.apply(lambda column: column.rolling(window).corr(realised))
    return pd.concat(
        [pd.DataFrame({"date": pd.to_datetime(dates[known]).dt.strftime("%Y-%m-%d").to_numpy()}), ic], axis=1
    )
