"""Implied-volatility index histories: CBOE's indices by Yahoo ticker, their column names, and the user's CSV.

Columns are in index points, as CBOE publishes them: vix_<d>d is the model-free implied vol at a constant
maturity of d calendar days in vol points (20 = 20 % a year); vvix is the same for VIX options; skew is CBOE's
SKEW (100 - 10 x the 30-day risk-neutral skewness of log returns). Sources without real indices (sample,
synthetic) compute the vix_<d>d and skew columns from their chains (spyglass.options.variance_index).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spyglass.data.files import read_csv_text
from spyglass.schemas import VolIndicesSchema, validate

# Yahoo tickers of CBOE's indices and the column each becomes.
CBOE_COLUMNS = {"^VIX9D": "vix_9d", "^VIX": "vix_30d", "^VIX3M": "vix_91d", "^VIX6M": "vix_182d", "^VVIX": "vvix",
                "^SKEW": "skew"}  # fmt: skip


def index_column(ticker: str) -> str:
    """The column of an index: CBOE's by name (^VIX -> vix_30d), any other ticker lower-cased without '^'."""
    return CBOE_COLUMNS.get(ticker.upper(), ticker.lstrip("^").lower())


def read_indices_csv(path: str | Path) -> pd.DataFrame:
    """date + index columns from a CSV file. Headers may be spyglass's columns (vix_30d) or the indices' tickers
    with or without '^' (VIX, ^VIX3M), in any case; errors name the file, the column and the rows."""
    table_text = read_csv_text(path)
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
