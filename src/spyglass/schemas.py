"""One Pandera model per table that crosses a stage boundary, and `validate` with errors a person can act on.

Dates are timezone-naive trading dates. Column names carry their unit where it is not obvious.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pandera.polars as pap
import polars as pl
from pandera.typing import Series

from spyglass.errors import DataError
from spyglass.stage_clock import step

MAX_ROWS_LISTED = 5
# Plausibility bounds: a finite value above these is a unit or parsing error (and inf or 1e308 would overflow
# the features), never a market price.
MAX_PRICE = 1e9
MAX_COUNT = 1e15  # shares or contracts traded / open
MAX_IV = 100.0  # implied vol as a decimal (10,000 %)
# open and close may sit this far (relative) outside [low, high]: providers round the four independently.
OHLC_TOLERANCE = 1e-3
# Options-feature columns that describe the snapshot (levels and counts, not scale-free): never model features.
NON_FEATURE_COLUMNS = ("n_contracts", "n_priced", "gamma_flip", "gamma_flip_crossings", "call_wall", "put_wall",
                       "call_wall_overall", "put_wall_overall", "spot")  # fmt: skip
# One contract of one snapshot: its root (null where the source has one), expiry, side and strike.
CONTRACT_KEY = ["snapshot_date", "root", "expiry", "option_type", "strike"]


def contract_key(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """CONTRACT_KEY's columns that `frame` has (chains of sources without roots have no root column)."""
    columns = frame.collect_schema().names()
    return [c for c in CONTRACT_KEY if c in columns]


def dates_increasing(dates: pd.Series) -> pd.Series:
    """True for each date later than the one before it (and for the first)."""
    step = dates.diff()
    return step.isna() | (step > pd.Timedelta(0))


class DataValidationError(DataError):
    """A table broke its contract; the message names the source, the column, the check and the rows."""


class DatedSchema(pa.DataFrameModel):
    """Any table keyed by trading date: unique, strictly increasing, timezone-naive dates."""

    date: Series[pd.Timestamp] = pa.Field(unique=True, nullable=False)

    class Config:
        coerce = True
        strict = False

    @pa.dataframe_check(error="dates must be strictly increasing")
    def dates_sorted(cls, df: pd.DataFrame) -> pd.Series:
        return dates_increasing(df["date"])


class _Dated(DatedSchema):
    @pa.dataframe_check(error="table is empty")
    def not_empty(cls, df: pd.DataFrame) -> bool:
        return len(df) > 0


class PricesSchema(_Dated):
    """Daily bars (fetch). `adj_close` is adjusted for splits and dividends; returns are computed from it."""

    open: Series[float] = pa.Field(gt=0, lt=MAX_PRICE)
    high: Series[float] = pa.Field(gt=0, lt=MAX_PRICE)
    low: Series[float] = pa.Field(gt=0, lt=MAX_PRICE)
    close: Series[float] = pa.Field(gt=0, lt=MAX_PRICE)
    adj_close: Series[float] = pa.Field(gt=0, lt=MAX_PRICE)
    volume: Series[float] = pa.Field(ge=0, lt=MAX_COUNT)
    # Optional: the risk-free return per day for the period starting at this date (decimal). Sources that
    # provide it (the Hull Tactical file) override the constant data.risk_free_rate / 252.
    risk_free_daily: Optional[Series[float]] = pa.Field(ge=-0.01, le=0.01)  # noqa: UP045 (pandera needs Optional)

    @pa.dataframe_check(error="high must be >= low")
    def high_above_low(cls, df: pd.DataFrame) -> pd.Series:
        return df["high"] >= df["low"]

    @pa.dataframe_check(error=f"open and close must lie within [low, high] (to {OHLC_TOLERANCE:.1%})")
    def open_close_in_range(cls, df: pd.DataFrame) -> pd.Series:
        low, high = df["low"] * (1 - OHLC_TOLERANCE), df["high"] * (1 + OHLC_TOLERANCE)
        return df["open"].between(low, high) & df["close"].between(low, high)


class ExtraFeaturesSchema(_Dated):
    """Per-date features shipped by the source (fetch), e.g. the Hull Tactical D*/E*/I*/M*/P*/S*/V* columns;
    only `date` for sources without any. Missing values are allowed (imputed causally before training)."""

    @pa.dataframe_check(error="extra feature columns must be numeric")
    def numeric_features(cls, df: pd.DataFrame) -> bool:
        return bool(df.drop(columns="date").apply(pd.api.types.is_numeric_dtype).all())

    @pa.dataframe_check(error=f"extra features must be finite and below {MAX_COUNT:g} in size (or missing)")
    def finite_features(cls, df: pd.DataFrame) -> pd.Series:
        values = df.drop(columns="date").select_dtypes("number")
        return (values.isna() | (values.abs() < MAX_COUNT)).all(axis=1)


class VolIndicesSchema(DatedSchema):
    """Implied-volatility index histories (fetch): date + one column per index in index points (vix_30d, skew,
    ...; see spyglass.data.vol_indices); missing where an index has no value that day; no columns at all for a
    source without them."""

    @pa.dataframe_check(error="index columns must be numeric")
    def numeric_indices(cls, df: pd.DataFrame) -> bool:
        return bool(df.drop(columns="date").apply(pd.api.types.is_numeric_dtype).all())

    @pa.dataframe_check(error="index values must be positive and finite (or missing)")
    def positive_indices(cls, df: pd.DataFrame) -> pd.Series:
        values = df.drop(columns="date").select_dtypes("number")
        return (values.isna() | ((values > 0) & (values < MAX_PRICE))).all(axis=1)


class OptionChainSchema(pap.DataFrameModel):
    """Option quotes, one row per contract and snapshot (CONTRACT_KEY) (fetch's snapshot store)."""

    snapshot_date: pl.Date = pap.Field(nullable=False)
    snapshot_time: Annotated[pl.Datetime, "us", "UTC"] = pap.Field(nullable=True)  # when the quotes were taken
    # The contract's root symbol (SPX, SPXW, SPY), where the source tells it: two roots may list the same
    # expiry and strike (SPX's AM-settled monthly and SPXW's PM-settled weekly). Missing: the underlying's one root.
    root: Optional[pl.Utf8] = pap.Field(nullable=True)  # noqa: UP045 (pandera reads Optional as "may be absent")
    expiry: pl.Date = pap.Field(nullable=False)
    option_type: pl.Utf8 = pap.Field(isin=["call", "put"])
    strike: pl.Float64 = pap.Field(gt=0, lt=MAX_PRICE)
    bid: pl.Float64 = pap.Field(ge=0, lt=MAX_PRICE, nullable=True)
    ask: pl.Float64 = pap.Field(ge=0, lt=MAX_PRICE, nullable=True)
    last: pl.Float64 = pap.Field(ge=0, lt=MAX_PRICE, nullable=True)
    last_trade_date: pl.Date = pap.Field(nullable=True)  # day of the last trade (UTC); stale if well before snapshot
    volume: pl.Float64 = pap.Field(ge=0, lt=MAX_COUNT, nullable=True)
    open_interest: pl.Float64 = pap.Field(ge=0, lt=MAX_COUNT, nullable=True)
    provider_iv: pl.Float64 = pap.Field(ge=0, lt=MAX_IV, nullable=True)
    underlying_price: pl.Float64 = pap.Field(gt=0, lt=MAX_PRICE)
    # The provider's own Greeks, where its files carry them (CBOE's quotedata); spyglass computes its own.
    provider_delta: Optional[pl.Float64] = pap.Field(ge=-1, le=1, nullable=True)  # noqa: UP045 (as above)
    provider_gamma: Optional[pl.Float64] = pap.Field(ge=0, lt=MAX_COUNT, nullable=True)  # noqa: UP045

    class Config:
        coerce = True
        strict = False

    @pap.dataframe_check(error="option chain is empty")
    def not_empty(cls, data: pap.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.len() > 0)

    @pap.dataframe_check(error="expiry must not be before snapshot_date")
    def expiry_after_snapshot(cls, data: pap.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("expiry") >= pl.col("snapshot_date"))


class OptionsFeaturesSchema(_Dated):
    """Options features, one row per snapshot date (options_features); see spyglass.options.features."""

    n_contracts: Series[int] = pa.Field(gt=0)
    n_priced: Series[int] = pa.Field(ge=0)
    pcr: Series[float] = pa.Field(regex=True, alias=r"^pcr_(volume|oi)\w*$", ge=0, nullable=True)
    iv_atm: Series[float] = pa.Field(regex=True, alias=r"^iv_atm_\d+d$", gt=0, nullable=True)
    iv_term_slope: Series[float] = pa.Field(nullable=True)
    iv_skew_30d: Series[float] = pa.Field(nullable=True)
    rr: Series[float] = pa.Field(regex=True, alias=r"^rr_\d+d_30d$", nullable=True)  # risk_reversal_column
    chain_vega_usd_per_vol_pt: Series[float] = pa.Field(ge=0, nullable=True)
    chain_theta_usd_per_day: Series[float] = pa.Field(nullable=True)
    dealer_delta_usd: Series[float] = pa.Field(nullable=True)
    gex_usd_per_pct: Series[float] = pa.Field(nullable=True)
    vanna_usd_per_vol_pt: Series[float] = pa.Field(nullable=True)
    charm_usd_per_day: Series[float] = pa.Field(nullable=True)
    oi_share: Series[float] = pa.Field(regex=True, alias=r"^oi_share_(quote|smile|provider)$", ge=0, le=1 + 1e-9,
                                     nullable=True)  # fmt: skip
    gamma_flip: Series[float] = pa.Field(gt=0, nullable=True)
    gamma_flip_distance: Series[float] = pa.Field(nullable=True)
    gamma_flip_crossings: Series[int] = pa.Field(ge=0)
    call_wall: Series[float] = pa.Field(gt=0, nullable=True)
    put_wall: Series[float] = pa.Field(gt=0, nullable=True)
    call_wall_overall: Series[float] = pa.Field(gt=0, nullable=True)
    put_wall_overall: Series[float] = pa.Field(gt=0, nullable=True)
    call_wall_distance: Series[float] = pa.Field(nullable=True)
    put_wall_distance: Series[float] = pa.Field(nullable=True)
    spot: Series[float] = pa.Field(gt=0, nullable=True)


class VolIndexFeaturesSchema(DatedSchema):
    """Features of the implied-volatility indices (options_features), one row per bar date after warm-up; see
    spyglass.features.vol_index. Empty (date only) for a source without indices."""

    @pa.dataframe_check(error="volatility index features must be numeric and not infinite (missing is allowed)")
    def finite_or_missing(cls, df: pd.DataFrame) -> pd.Series:
        values = df.drop(columns="date")
        if not values.apply(pd.api.types.is_numeric_dtype).all():
            return pd.Series(False, index=df.index)
        return (values.isna() | values.abs().lt(float("inf"))).all(axis=1)


class _NetExposures(pap.DataFrameModel):
    """The net dealer exposures of spyglass.options.exposure.EXPOSURES, summed over a group of contracts."""

    snapshot_date: pl.Date
    dealer_delta_usd: pl.Float64
    gex_usd_per_pct: pl.Float64
    vanna_usd_per_vol_pt: pl.Float64
    charm_usd_per_day: pl.Float64


class ExposureByStrikeSchema(_NetExposures):
    """Latest snapshot's dealer exposures per strike (options_features, for the app)."""

    strike: pl.Float64 = pap.Field(gt=0, unique=True)
    call_gex_usd_per_pct: pl.Float64 = pap.Field(ge=0)
    put_gex_usd_per_pct: pl.Float64 = pap.Field(le=0)
    call_open_interest: pl.Float64 = pap.Field(ge=0)
    put_open_interest: pl.Float64 = pap.Field(ge=0)


class ExposureByExpirySchema(_NetExposures):
    """Latest snapshot's dealer exposures per expiry (options_features, for the app)."""

    expiry: pl.Date = pap.Field(unique=True)
    days_to_expiry: pl.Int64 = pap.Field(ge=0)
    open_interest: pl.Float64 = pap.Field(ge=0)


class GammaProfileSchema(pap.DataFrameModel):
    """Latest snapshot's total dealer gamma exposure (USD per 1% move) over a grid of spot levels."""

    snapshot_date: pl.Date
    spot_level: pl.Float64 = pap.Field(gt=0, unique=True)
    gex_usd_per_pct: pl.Float64


class TechnicalFeaturesSchema(_Dated):
    """Technical features and one target per horizon, target_ret_<h>d (ta_features). Features are finite; the
    last h targets of each horizon are unknown."""

    target: Series[float] = pa.Field(nullable=True, alias=r"^target_ret_\d+d$", regex=True)

    @pa.dataframe_check(error="feature columns must be finite (warm-up rows are dropped, not filled)")
    def features_finite(cls, df: pd.DataFrame) -> pd.Series:
        targets = [c for c in df.columns if str(c).startswith("target_ret_")]
        features = df.drop(columns=["date", *targets]).select_dtypes("number")
        return features.apply(lambda col: col.notna() & col.abs().lt(float("inf"))).all(axis=1)


class FoldsSchema(pa.DataFrameModel):
    """Walk-forward fold boundaries (train_base): inclusive dates; training ends gap + embargo rows before the test."""

    fold: Series[int] = pa.Field(ge=0, unique=True)
    train_start: Series[pd.Timestamp]
    train_end: Series[pd.Timestamp]
    test_start: Series[pd.Timestamp]
    test_end: Series[pd.Timestamp]
    n_train: Series[int] = pa.Field(gt=0)
    n_test: Series[int] = pa.Field(gt=0)

    class Config:
        coerce = True

    @pa.dataframe_check(error="training must end before the test block starts")
    def train_before_test(cls, df: pd.DataFrame) -> pd.Series:
        return df["train_end"] < df["test_start"]


class TrialsSchema(pa.DataFrameModel):
    """Optuna trials of the nested searches (train_base): one row per trial of each (model, fold) study;
    empty when nothing was tuned. `value` is the mean inner-fold MSE (missing for pruned trials)."""

    model: Series[str]
    fold: Series[str]
    number: Series[int] = pa.Field(ge=0)
    value: Series[float] = pa.Field(nullable=True)
    state: Series[str] = pa.Field(isin=["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"])

    class Config:
        coerce = True
        strict = False


class BaseOofSchema(_Dated):
    """Out-of-fold predictions of each base model (`pred_<model>` columns), from models that never saw the row."""

    fold: Series[int] = pa.Field(ge=0)
    target: Series[float] = pa.Field(nullable=True)
    pred_: Series[float] = pa.Field(regex=True, alias=r"^pred_\w+$", nullable=False)


class MetaOofSchema(_Dated):
    """Walk-forward predictions of the stacked model (train_meta): daily excess return, decimal."""

    fold: Series[int] = pa.Field(ge=0)
    target: Series[float] = pa.Field(nullable=True)
    prediction: Series[float] = pa.Field(nullable=False)


class AllocationsSchema(_Dated):
    """Daily positions (allocate): each step of get_allocations kept as a column. 1.0 = fully invested."""

    prediction: Series[float]
    vol_estimate: Series[float] = pa.Field(gt=0)
    allocation_raw: Series[float]
    allocation_clipped: Series[float]
    allocation: Series[float]
    allocation_vol_target: Series[float]  # benchmark: volatility target only, same bounds and smoothing


class JournalSchema(pa.DataFrameModel):
    """The signal journal (spyglass.journal): one row per as-of date, as recorded before the outcome was known;
    `reruns`/`last_rerun` count later runs for the same day, realised_return and pnl are filled in afterwards."""

    as_of: Series[pd.Timestamp] = pa.Field(unique=True)
    run_time: Series[Annotated[pd.DatetimeTZDtype, "ns", "UTC"]]
    source: Series[str]
    ticker: Series[str]
    pred: Series[float] = pa.Field(regex=True, alias=r"^pred_\w+$")  # each base model's prediction
    prediction: Series[float]  # the stack's: the day's predicted excess return
    vol_estimate: Series[float] = pa.Field(gt=0)
    allocation_raw: Series[float]
    allocation_clipped: Series[float]
    allocation: Series[float]
    models: Series[str]  # {"name": fingerprint} as JSON: which saved models scored the day
    train_start: Series[pd.Timestamp]
    train_end: Series[pd.Timestamp]
    config_hash: Series[str]
    staleness_days: Series[int] = pa.Field(ge=0)  # calendar days from as_of to the run date
    feature_tiers: Series[str]  # e.g. "technical,index"
    flags: Series[str]  # e.g. "partial_chain,dropped_bars"; empty when none
    reruns: Series[int] = pa.Field(ge=0)
    last_rerun: Series[Annotated[pd.DatetimeTZDtype, "ns", "UTC"]] = pa.Field(nullable=True)
    realised_return: Series[float] = pa.Field(nullable=True)  # the asset's return from as_of to the next bar
    pnl: Series[float] = pa.Field(nullable=True)  # the position's return over that day (cash earns the rate)

    class Config:
        coerce = True
        strict = False

    @pa.dataframe_check(error="as_of dates must be strictly increasing")
    def as_of_sorted(cls, df: pd.DataFrame) -> pd.Series:
        return dates_increasing(df["as_of"])


class BacktestDailySchema(_Dated):
    """Daily backtest (backtest): row t holds the return earned from close t-1 to close t."""

    position: Series[float]
    asset_return: Series[float]
    risk_free_return: Series[float]
    turnover: Series[float] = pa.Field(ge=0)
    cost: Series[float] = pa.Field(ge=0)
    strategy_return: Series[float]
    strategy_return_gross: Series[float]
    benchmark_return: Series[float]
    equity: Series[float] = pa.Field(gt=0)
    benchmark_equity: Series[float] = pa.Field(gt=0)
    drawdown: Series[float] = pa.Field(le=0)
    vol_target_position: Series[float]  # the volatility-target-only benchmark, same bounds and costs
    vol_target_return: Series[float]
    vol_target_return_gross: Series[float]
    vol_target_equity: Series[float] = pa.Field(gt=0)


def empty_frame(schema: type[pap.DataFrameModel] | type[pa.DataFrameModel]) -> pl.DataFrame | pd.DataFrame:
    """A frame with no rows and exactly the columns and dtypes of a Pandera model (polars or pandas)."""
    columns = schema.to_schema().columns
    if issubclass(schema, pa.DataFrameModel):
        return pd.DataFrame({name: pd.Series(dtype=str(column.dtype)) for name, column in columns.items()})
    return pl.DataFrame(schema={name: column.dtype.type for name, column in columns.items()})


def validate[F: (pd.DataFrame, pl.DataFrame)](
    frame: F, schema: type, source: str | Path, lines: np.ndarray | None = None
) -> F:
    """Validate `frame` against a Pandera model; on failure raise DataValidationError naming what is wrong.
    `lines` (the file line of each row, for a frame read from a text file) makes the message cite lines."""
    try:
        with step("validate"):
            return schema.validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pap.errors.SchemaErrors) as exc:
        raise DataValidationError(describe_failures(exc.failure_cases, frame, source, lines)) from None


def describe_failures(
    failure_cases: pd.DataFrame | pl.DataFrame, frame, source: str | Path, lines: np.ndarray | None = None
) -> str:
    """One line per (column, check): the rows (or file lines) at fault, with their dates when the table has
    them and the failing values."""
    cases = failure_cases.to_pandas() if isinstance(failure_cases, pl.DataFrame) else failure_cases
    dates = _date_column(frame)
    out = [f"{source}: invalid data"]
    table_level = cases["schema_context"].astype(str).str.endswith("Schema")
    cases = cases.assign(
        subject=["table" if t else f"column {c!r}" for t, c in zip(table_level, cases["column"], strict=False)]
    )
    uncoercible = set(cases.loc[cases["check"].astype(str).str.startswith("coerce_dtype"), "subject"])
    for (subject, check), group in cases.groupby(["subject", "check"], sort=False, dropna=False):
        failures = list(group["failure_case"])
        if check == "column_in_dataframe":
            out.append(f"  missing column(s): {', '.join(map(str, failures))}")
            continue
        if subject in uncoercible and not str(check).startswith("coerce_dtype"):
            continue  # a column that could not be converted fails every later check too: report it once
        indexed = group.dropna(subset=["index"]) if "index" in group else group.iloc[:0]
        cited = {int(i): value for i, value in zip(indexed["index"], indexed["failure_case"], strict=True)
                 if int(i) < len(frame)}  # fmt: skip
        whole_table_verdict = len(failures) == 1 and str(failures[0]) in ("False", "0")
        show_values = subject not in ("table", "column 'date'", "column 'snapshot_date'")
        where = f": {_rows_text(cited, dates, lines, show_values)}" if cited and not whole_table_verdict else ""
        out.append(f"  {subject} fails {check}{where}")
    return "\n".join(out)


def _date_column(frame) -> list | None:
    for name in ("date", "snapshot_date"):
        if name in frame.columns:
            values = frame[name]
            return list(values.to_list() if isinstance(values, pl.Series) else values.tolist())
    return None


def _rows_text(cited: dict[int, object], dates: list | None, lines: np.ndarray | None, show_values: bool) -> str:
    """ "2 row(s): 150 (2020-08-03) = inf, 152 (2020-08-05) = nan" (or "line(s): 152 ..." with file lines)."""
    rows = sorted(cited)
    shown = rows[:MAX_ROWS_LISTED]
    more = f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
    labels = []
    for r in shown:
        label = str(lines[r]) if lines is not None else str(r)
        if dates is not None and 0 <= r < len(dates) and not pd.isna(dates[r]):
            label += f" ({pd.Timestamp(dates[r]).date()})"
        if show_values:
            label += f" = {cited[r]!r}" if isinstance(cited[r], str) else f" = {cited[r]}"
        labels.append(label)
    unit = "line(s)" if lines is not None else "row(s)"
    return f"{len(rows)} {unit}: " + ", ".join(labels) + more
