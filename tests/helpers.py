"""Small builders shared by tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def good_prices(n: int = 6) -> pd.DataFrame:
    close = np.linspace(100, 105, n)
    return pd.DataFrame(
        {
            "date": pd.bdate_range("2020-01-01", periods=n),
            "open": close,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "adj_close": close,
            "volume": np.full(n, 1e6),
        }
    )
