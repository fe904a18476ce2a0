"""The Kaggle "Hull Tactical - Market Prediction" train.csv: S&P 500 forward returns and ~100 features per day.

Schema: date_id (trading-day index), D1-D9, E1-E20, I1-I9, M1-M18, P1-P13, S1-S12, V1-V13 (feature families,
missing early in the history), forward_returns (the return of the day after date_id), risk_free_rate (the
risk-free return of that day, decimal per day), market_forward_excess_returns (the competition's target).

The file has no prices, dates or options. This provider builds a total-return index whose day-to-day returns
are forward_returns, dates row date_id d on business day d after `origin_date` (a label: the file does not say
which calendar day date_id 0 was), carries risk_free_rate as the prices' `risk_free_daily`, returns the feature
columns as extra features, and no option chains. With it the pipeline's 1-day target, row t's log return from t
to t+1 minus that day's rate, is exactly ln(1 + forward_returns) - risk_free_rate.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from spyglass.data import MarketData
from spyglass.data.files import DataFileError, read_csv_text
from spyglass.data.simulated import window
from spyglass.schemas import validate

FEATURE_FAMILIES = {"D": 9, "E": 20, "I": 9, "M": 18, "P": 13, "S": 12, "V": 13}
FEATURE_COLUMNS = [f"{family}{i}" for family, count in FEATURE_FAMILIES.items() for i in range(1, count + 1)]
INDEX_BASE = 100.0


class HullTrainSchema(pa.DataFrameModel):
    """The columns of the Hull Tactical train.csv that spyglass relies on."""

    date_id: Series[int] = pa.Field(ge=0, unique=True)
    forward_returns: Series[float] = pa.Field(gt=-1, nullable=False)
    risk_free_rate: Series[float] = pa.Field(ge=-0.01, le=0.01, nullable=False)
    market_forward_excess_returns: Series[float] = pa.Field(nullable=True)
    feature: Series[float] = pa.Field(regex=True, alias=r"^[DEIMPSV]\d+$", nullable=True)

    class Config:
        coerce = True
        strict = False

    @pa.dataframe_check(error="date_id must increase by 1 from row to row")
    def consecutive_ids(cls, df: pd.DataFrame) -> pd.Series:
        step = df["date_id"].diff()
        return step.isna() | (step == 1)


REQUIRED_COLUMNS = ["date_id", "forward_returns", "risk_free_rate", *FEATURE_COLUMNS]


def read_hull_csv(path: str | Path) -> pd.DataFrame:
    """The file, validated (errors name the file, column, lines and raw text); a missing column is an error."""
    text = read_csv_text(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in text.cells]
    if missing:
        raise DataFileError(f"{path}: not the Hull Tactical train.csv schema; missing column(s) "
                            f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")  # fmt: skip
    frame = pd.DataFrame({column: text.numbers(column) for column in text.cells.columns})
    order = np.argsort(frame["date_id"].to_numpy(), kind="stable")
    return validate(frame.iloc[order].reset_index(drop=True), HullTrainSchema, path, text.lines[order])


def hull_market_data(frame: pd.DataFrame, origin_date: str) -> MarketData:
    """Index bars, per-day risk-free returns and the feature table from a validated train.csv frame. Row date_id
    d is dated `origin_date` + d business days, whatever date_id the file starts at: a later slice or the
    competition's test rows keep their place in time (the schema has checked that the ids follow each other)."""
    n = len(frame)
    first = pd.Timestamp(origin_date) + pd.offsets.BDay(int(frame["date_id"].iloc[0]))
    dates = pd.bdate_range(first, periods=n + 1)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + frame["forward_returns"].to_numpy())])
    level = INDEX_BASE * growth
    rate = np.append(frame["risk_free_rate"].to_numpy(dtype=float), frame["risk_free_rate"].iloc[-1])
    prices = pd.DataFrame(
        {"date": dates, "open": level, "high": level, "low": level, "close": level, "adj_close": level,
         "volume": 0.0, "risk_free_daily": rate}
    )  # fmt: skip
    features = [c for c in frame.columns if re.fullmatch(r"[DEIMPSV]\d+", c)]
    extra = pd.concat([pd.DataFrame({"date": dates[:n]}), frame[features].astype(float)], axis=1)
    return MarketData(
        prices=prices,
        chains=None,
        description=f"Hull Tactical train.csv: {n} days, {len(features)} features, index built from forward_returns",
        extra_features=extra,
    )


def load(data_cfg: dict, seed: int) -> MarketData:
    """MarketData from `data.path`, windowed to [start, end] on the labelled dates."""
    del seed
    path = data_cfg.get("path")
    if not path:
        raise FileNotFoundError("data=kaggle needs data.path=<train.csv>")
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: not found (data.path)")
    market = hull_market_data(read_hull_csv(path), data_cfg["origin_date"])
    start, end = data_cfg.get("start"), data_cfg.get("end")
    extra = window(market.extra_features, start, end)
    return MarketData(
        prices=window(market.prices, start, end),
        chains=None,
        description=market.description,
        extra_features=extra,
    )
