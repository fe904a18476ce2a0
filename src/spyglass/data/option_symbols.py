"""Option symbols as CBOE and Yahoo print them (OCC style: root, YYMMDD, C or P, strike x 1000 in 8 digits)."""

from __future__ import annotations

import pandas as pd


def option_roots(symbols: pd.Series) -> pd.Series:
    """The root of each symbol, upper case (SPXW221216C04000000 -> SPXW; missing where a symbol has none)."""
    return symbols.astype("string").str.extract(r"^([A-Za-z]+)\d", expand=False).str.upper()
