"""Signal-quality metrics of predictions against realised targets (rows with a known target only).

An h-day target overlaps the next h - 1 rows' targets, so correlations over every row look more certain than
they are. IC, rank IC and hit rate are computed on non-overlapping rows (every h-th, from the first), and the
IC's t statistic is the Newey-West (HAC) t of the slope of target on prediction over those rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from spyglass.errors import DataError


def newey_west_t(x: np.ndarray, y: np.ndarray, lags: int | None = None) -> float:
    """t statistic of the OLS slope of y on x (with an intercept) under Newey-West standard errors (Bartlett
    weights; `lags` default floor(4 (n/100)^(2/9))); 0 when x is constant."""
    n = len(x)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if n < 3 or sxx == 0:
        return 0.0
    slope = float(xc @ (y - y.mean())) / sxx
    scores = xc * (y - y.mean() - slope * xc)  # the slope's moment condition, row by row
    lags = int(4 * (n / 100) ** (2 / 9)) if lags is None else lags
    long_run = float(scores @ scores)
    for lag in range(1, min(lags, n - 1) + 1):
        long_run += 2 * (1 - lag / (lags + 1)) * float(scores[lag:] @ scores[:-lag])
    return slope / np.sqrt(max(long_run, 1e-300)) * sxx


def signal_metrics(prediction: np.ndarray, target: np.ndarray, horizon_days: int = 1) -> dict[str, float]:
    """rmse over every known row; on non-overlapping rows (every `horizon_days`-th): ic = Pearson correlation,
    rank_ic = Spearman correlation, hit_rate = share of matching signs, ic_t = Newey-West t of the slope of
    target on prediction, n = their count."""
    known = np.isfinite(target) & np.isfinite(prediction)
    if known.sum() < 3:
        raise DataError("need at least 3 rows with a known target to score predictions")
    rmse = float(np.sqrt(np.mean((prediction[known] - target[known]) ** 2)))
    every = np.zeros(len(target), dtype=bool)
    every[:: max(int(horizon_days), 1)] = True
    p, y = prediction[known & every], target[known & every]
    if len(y) < 3:
        raise DataError(f"need at least 3 non-overlapping rows of a {horizon_days}-day target to score predictions")
    constant = np.std(p) == 0
    return {
        "rmse": rmse,
        "ic": 0.0 if constant else float(np.corrcoef(p, y)[0, 1]),
        "rank_ic": 0.0 if constant else float(spearmanr(p, y).statistic),
        "hit_rate": float(np.mean(np.sign(p) == np.sign(y))),
        "ic_t": round(newey_west_t(p, y), 6),
        "n": len(y),
    }


def rolling_ic(
    dates: pd.Series, target: np.ndarray, predictions: dict[str, np.ndarray], window: int, horizon_days: int = 1
) -> pd.DataFrame:
    """Rolling Pearson IC of each prediction with the realised target over `window` rows (NaN until full), dated
    on the day the window's last outcome became known (`horizon_days` rows after its prediction; the last rows,
    whose outcome day lies beyond `dates`, are left out).

    Rows whose target is not yet known are dropped first.
    """
    known = np.isfinite(target)
    h = int(horizon_days)
    dates = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    known_on = dates.shift(-h)  # the trading day row t's outcome is realised on
    known &= known_on.notna().to_numpy()
    frame = pd.DataFrame({name: values[known] for name, values in predictions.items()})
    realised = pd.Series(target[known])
    ic = frame.apply(lambda column: column.rolling(window).corr(realised))
    return pd.concat([pd.DataFrame({"date": known_on[known].dt.strftime("%Y-%m-%d").to_numpy()}), ic], axis=1)
