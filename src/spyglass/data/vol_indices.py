"""Implied-volatility index histories: CBOE's indices by Yahoo ticker, their column names, and the user's CSV.

Columns are in index points, as CBOE publishes them: vix_<d>d is the model-free implied vol at a constant
maturity of d calendar days in vol points (20 = 20 % a year); vvix is the same for VIX options; skew is CBOE's
SKEW (100 - 10 x the 30-day risk-neutral skewness of log returns). Sources without real indices (sample,
synthetic) compute the vix_<d>d and skew columns from their chains (spyglass.options.variance_index), unless
`data.indices_path` gives real histories: a wide file (date + one column per index) or CBOE's own download of
one index (DATE, OPEN, HIGH, LOW, CLOSE; dates MM/DD/YYYY or ISO), named after the index (VIX_History.csv,
vix-daily.csv), whose close is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from spyglass.data.files import DataFileError, read_csv_text
from spyglass.schemas import VolIndicesSchema, validate

OHLC_HEADER = ("date", "open", "high", "low", "close")

# Yahoo tickers of CBOE's indices and the column each becomes.
CBOE_COLUMNS = {"^VIX9D": "vix_9d", "^VIX": "vix_30d", "^VIX3M": "vix_91d", "^VIX6M": "vix_182d", "^VVIX": "vvix",
                "^SKEW": "skew"}  # fmt: skip


def index_column(ticker: str) -> str:
    """The column of an index: CBOE's by name (^VIX -> vix_30d), any other ticker lower-cased without '^'."""
    return CBOE_COLUMNS.get(ticker.upper(), ticker.lstrip("^").lower())


def read_indices(paths: str | Path | list) -> pd.DataFrame:
    """date + index columns from one CSV file or several (`read_indices_csv` each), joined on the date."""
    files = [paths] if isinstance(paths, str | Path) else list(paths)
    for path in files:
        if not Path(path).exists():
            raise FileNotFoundError(f"{path}: not found (data.indices_path)")
    tables = [read_indices_csv(path) for path in files]
    table = tables[0]
    for other in tables[1:]:
        table = table.merge(other, on="date", how="outer", suffixes=("", "_again"))
        twice = [c for c in table.columns if c.endswith("_again")]
        if twice:
            raise DataFileError(f"{', '.join(map(str, files))}: the index {twice[0].removesuffix('_again')} is given "
                                "by more than one file")  # fmt: skip
    return validate(table.sort_values("date").reset_index(drop=True), VolIndicesSchema, ", ".join(map(str, files)))


def ohlc_index_column(path: str | Path) -> str:
    """The index a one-index OHLC file holds, from its name's first word (VIX_History.csv -> vix_30d)."""
    word = re.split(r"[-_. ]", Path(path).name)[0].upper()
    if f"^{word}" not in CBOE_COLUMNS:
        raise DataFileError(f"{path}: a DATE, OPEN, HIGH, LOW, CLOSE file holds one index, named by the file's first "
                            f"word; {word!r} is none of {', '.join(t.lstrip('^') for t in CBOE_COLUMNS)} (rename the "
                            "file, e.g. VIX_History.csv, or give a date + index-column file)")  # fmt: skip
    return CBOE_COLUMNS[f"^{word}"]


def read_indices_csv(path: str | Path) -> pd.DataFrame:
    """date + index columns from a CSV file. Headers may be spyglass's columns (vix_30d) or the indices' tickers
    with or without '^' (VIX, ^VIX3M), in any case; or CBOE's one-index download (DATE, OPEN, HIGH, LOW, CLOSE),
    whose close becomes the index the file is named after. Errors name the file, the column and the rows."""
    table_text = read_csv_text(path)
    if sorted(str(c).strip().lower() for c in table_text.cells.columns) == sorted(OHLC_HEADER):
        close = {c: c.strip().lower() for c in table_text.cells.columns}
        table_text.cells = table_text.cells.rename(columns=close)[["date", "close"]].rename(
            columns={"close": ohlc_index_column(path)})  # fmt: skip
    names = {}
    for header in table_text.cells.columns:
        text = str(header).strip()
        if text.lower() == "date":
            names[header] = "date"
        elif text.lower() in CBOE_COLUMNS.values():
            names[header] = text.lower()
        else:
            names[header] = index_column(text if text.startswith("^") else f"^{text}")
    table_text.cells = table_text.cells.rename(columns=names)
    table_text.require(["date"], "index closes")
    columns = {name: table_text.numbers(name) for name in table_text.cells.columns if name != "date"}
    table = pd.DataFrame({"date": table_text.dates("date")} | columns)
    return validate(table, VolIndicesSchema, path, table_text.lines)


def indices_source(data_cfg: dict) -> str:
    """Which volatility indices a run's config uses, in words (for the metrics, the tearsheet and the app)."""
    if data_cfg.get("indices_path"):
        paths = data_cfg["indices_path"]
        return "real histories from " + (", ".join(map(str, paths)) if isinstance(paths, list) else str(paths))
    source = data_cfg.get("source")
    if source in ("sample", "synthetic"):
        return "model-free, computed from the simulated chains (they carry no variance risk premium)"
    if source == "yfinance" and data_cfg.get("vol_indices"):
        return "CBOE's, from Yahoo: " + ", ".join(data_cfg["vol_indices"])
    return "none"
