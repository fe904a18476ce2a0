"""Data-quality report of a fetch: the share of missing values per column, overall and per period.

Missing means null or NaN. Prices must be complete (PricesSchema rejects gaps), so in practice the report
shows the option quotes: Yahoo leaves volume empty on many contracts, and user files have holes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Missingness:
    """Missing share per column (0..1) for one table, overall and per period."""

    table: str
    rows: int
    by_column: pd.Series  # index: column
    by_period: pd.DataFrame  # index: period start date, columns: columns

    def as_dict(self) -> dict:
        return {"rows": self.rows, "missing_share": {c: round(float(v), 6) for c, v in self.by_column.items()}}


def missingness(frame: pd.DataFrame, table: str, date_column: str, freq: str = "YS") -> Missingness:
    """Missing share of every column except the date, overall and per `freq` period (default: calendar year)."""
    values = frame.drop(columns=[date_column])
    missing = values.isna()
    periods = pd.to_datetime(frame[date_column]).dt.to_period(freq[0]).dt.start_time
    return Missingness(table, len(frame), missing.mean(), missing.groupby(periods.to_numpy()).mean())


def missing_share_table(reports: list[Missingness]) -> pd.DataFrame:
    """Rows of (table, column, missing_share) for a DVC bar plot."""
    return pd.concat(
        [
            pd.DataFrame({"table": r.table, "column": r.by_column.index, "missing_share": r.by_column.round(6).values})
            for r in reports
        ],
        ignore_index=True,
    )


def render_png(reports: list[Missingness], path: str | Path) -> None:
    """A heatmap of missing share per column and period, and a bar chart per column, one row per table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(reports), 2, figsize=(13, 3.2 * len(reports)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})  # fmt: skip
    for (heat_ax, bar_ax), report in zip(axes, reports, strict=True):
        grid = report.by_period.T
        image = heat_ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="magma_r", vmin=0, vmax=1)
        heat_ax.set_yticks(range(len(grid.index)), grid.index, fontsize=7)
        step = max(1, len(grid.columns) // 12)
        labels = [pd.Timestamp(c).strftime("%Y-%m") for c in grid.columns[::step]]
        heat_ax.set_xticks(range(0, len(grid.columns), step), labels, fontsize=7, rotation=45)
        heat_ax.set_title(f"{report.table}: missing share by column and period ({report.rows} rows)", fontsize=9)
        fig.colorbar(image, ax=heat_ax, fraction=0.02)
        bar_ax.barh(report.by_column.index, report.by_column.to_numpy(), color="tab:red")
        bar_ax.set_xlim(0, 1)
        bar_ax.invert_yaxis()
        bar_ax.tick_params(labelsize=7)
        bar_ax.set_title("missing share, whole period", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
