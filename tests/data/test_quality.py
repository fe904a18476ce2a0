from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.data.quality import missing_share_table, missingness, render_png


def frame() -> pd.DataFrame:
    dates = pd.to_datetime(["2020-03-02", "2020-06-01", "2021-01-04", "2021-02-01"])
    return pd.DataFrame({"date": dates, "a": [1.0, np.nan, np.nan, np.nan], "b": [1.0, 2.0, 3.0, None]})


def test_missing_share_overall_and_per_year():
    report = missingness(frame(), "quotes", "date")
    assert report.by_column.to_dict() == {"a": 0.75, "b": 0.25}
    assert report.by_period.loc[pd.Timestamp("2020-01-01")].to_dict() == {"a": 0.5, "b": 0.0}
    assert report.by_period.loc[pd.Timestamp("2021-01-01")].to_dict() == {"a": 1.0, "b": 0.5}
    assert report.as_dict() == {"rows": 4, "missing_share": {"a": 0.75, "b": 0.25}}


def test_plot_table_and_png(tmp_path):
    reports = [missingness(frame(), "quotes", "date"), missingness(frame().fillna(0), "bars", "date")]
    table = missing_share_table(reports)
    assert list(table.columns) == ["table", "column", "missing_share"] and len(table) == 4
    assert table.loc[(table["table"] == "quotes") & (table["column"] == "a"), "missing_share"].item() == pytest.approx(
        0.75
    )
    render_png(reports, tmp_path / "q.png")
    assert (tmp_path / "q.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
