"""Chart builders for the app: each takes frames and returns an interactive plotly figure (rendered by gr.Plot).

Figures have no fixed width (they fill the page's column, laptop to wide screen), a unified hover per x value,
and zoom/pan from plotly's toolbar; time series get a range selector. Gradio ships plotly.js, so charts render
offline.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEIGHT = 380
COLORS = {"calls": "#2ca02c", "puts": "#d62728", "net": "#222222", "marker": "#1f77b4", "price": "#7f7f7f"}
RANGE_BUTTONS = [
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"count": 5, "label": "5y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "all"},
]


def _styled(fig: go.Figure, title: str, x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """The common look: title, axis titles, responsive width, legend on top, unified hover."""
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=HEIGHT,
        autosize=True,
        margin={"l": 60, "r": 30, "t": 80, "b": 45},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        hovermode="x unified",
    )
    if x_title:
        fig.update_xaxes(title_text=x_title)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def _time_axis(fig: go.Figure) -> go.Figure:
    """Range buttons (1y, 5y, all) on a date x axis."""
    fig.update_xaxes(rangeselector={"buttons": RANGE_BUTTONS, "x": 0, "y": 1.02, "yanchor": "bottom"})
    return fig


def _mark_levels(fig: go.Figure, levels: Iterable[tuple[float | None, str, str]]) -> go.Figure:
    """Vertical lines at price levels (spot, flip, walls), each labelled with its value at its own height (so
    nearby levels stay readable); missing levels are skipped."""
    shown = [(float(level), dash, label) for level, dash, label in levels if level is not None and pd.notna(level)]
    for row, (level, dash, label) in enumerate(shown):
        fig.add_vline(x=level, line={"dash": dash, "color": COLORS["marker"], "width": 1})
        fig.add_annotation(
            x=level, y=1 - 0.07 * row, xref="x", yref="paper", text=f"{label} {level:,.0f}", showarrow=False,
            xanchor="left", font={"size": 10}, bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
    return fig


def allocation_with_price(
    allocations: pd.DataFrame, prices: pd.DataFrame, rescored: tuple[pd.Timestamp, float] | None = None
) -> go.Figure:
    """Daily allocation (left axis) and the adjusted close (right axis, log scale); `rescored` (date, position)
    marks a re-scored day's position (Refresh) on top of the walk-forward record."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=allocations["date"], y=allocations["allocation"], name="allocation",
                             line={"width": 1, "color": COLORS["marker"]}))  # fmt: skip
    if rescored is not None:
        fig.add_trace(go.Scatter(x=[rescored[0]], y=[rescored[1]], mode="markers", name="re-scored",
                                 marker={"size": 10, "symbol": "diamond", "color": COLORS["puts"]}))  # fmt: skip
    shown = prices[prices["date"] >= allocations["date"].min()]
    fig.add_trace(
        go.Scatter(x=shown["date"], y=shown["adj_close"], name="price", line={"width": 1, "color": COLORS["price"]}),
        secondary_y=True,
    )
    fig.update_yaxes(title_text="allocation (1 = invested)", secondary_y=False)
    fig.update_yaxes(title_text="adjusted close", type="log", secondary_y=True, showgrid=False)
    return _time_axis(_styled(fig, "Allocation history and price"))


def smile(chain_iv: pd.DataFrame, expiry) -> go.Figure:
    """Implied vol against strike for one expiry (calls and puts), spot marked."""
    fig = go.Figure()
    rows = chain_iv[pd.to_datetime(chain_iv["expiry"]) == pd.Timestamp(expiry)].sort_values("strike")
    for option_type, group in rows.groupby("option_type"):
        fig.add_trace(go.Scatter(x=group["strike"], y=group["iv"], mode="lines+markers", name=str(option_type),
                                 line={"color": COLORS.get(f"{option_type}s")}))  # fmt: skip
    if len(rows):
        _mark_levels(fig, [(rows["underlying_price"].iloc[0], "dash", "spot")])
    fig.update_yaxes(tickformat=".0%")
    return _styled(fig, f"Volatility smile, expiry {pd.Timestamp(expiry).date()}", "strike", "implied vol")


def term_structure(by_expiry_iv: pd.DataFrame) -> go.Figure:
    """ATM implied vol per expiry (days to expiry on the x axis)."""
    fig = go.Figure(go.Scatter(x=by_expiry_iv["days_to_expiry"], y=by_expiry_iv["iv_atm"], mode="lines+markers",
                               name="ATM IV"))  # fmt: skip
    fig.update_yaxes(tickformat=".1%")
    return _styled(fig, "ATM term structure", "days to expiry", "ATM implied vol")


def gamma_by_strike(by_strike: pd.DataFrame, spot: float, flip: float | None, call_wall: float | None,
                    put_wall: float | None) -> go.Figure:  # fmt: skip
    """Dealer gamma exposure per strike (calls up, puts down, net line) with spot, flip and walls marked."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=by_strike["strike"], y=by_strike["call_gex_usd_per_pct"], name="calls",
                         marker_color=COLORS["calls"]))  # fmt: skip
    fig.add_trace(go.Bar(x=by_strike["strike"], y=by_strike["put_gex_usd_per_pct"], name="puts",
                         marker_color=COLORS["puts"]))  # fmt: skip
    fig.add_trace(go.Scatter(x=by_strike["strike"], y=by_strike["gex_usd_per_pct"], name="net",
                             line={"color": COLORS["net"], "width": 1.5}))  # fmt: skip
    fig.update_layout(barmode="relative")
    _mark_levels(fig, [(spot, "solid", "spot"), (flip, "dash", "gamma flip"), (call_wall, "dot", "call wall"),
                       (put_wall, "dashdot", "put wall")])  # fmt: skip
    return _styled(fig, "Dealer gamma exposure by strike", "strike", "USD per 1% move")


def gamma_profile(profile: pd.DataFrame, spot: float) -> go.Figure:
    """Total dealer gamma exposure if spot moved to each level (IV, T and OI held fixed)."""
    fig = go.Figure(go.Scatter(x=profile["spot_level"], y=profile["gex_usd_per_pct"], name="net gamma exposure"))
    fig.add_hline(y=0, line={"color": COLORS["net"], "width": 0.6})
    _mark_levels(fig, [(spot, "dash", "spot")])
    return _styled(fig, "Dealer gamma exposure against spot", "spot level", "USD per 1% move")


def feature_history(features: pd.DataFrame, columns: list[str], title: str) -> go.Figure:
    """Time series of some options features (e.g. put/call ratios, ATM IVs); unknown columns are skipped."""
    fig = go.Figure()
    for column in columns:
        if column in features:
            fig.add_trace(go.Scatter(x=features["date"], y=features[column], name=column, line={"width": 1}))
    return _time_axis(_styled(fig, title))


def contributions(table: pd.DataFrame, prediction_bp: float, base_bp: float, day) -> go.Figure:
    """The features that moved the stack's prediction most (bp, largest at the top; green up, red down); the
    hover gives the feature's value and each base model's contribution. `table`: why.contributions_table."""
    rows = table.iloc[::-1]  # plotly draws the first bar at the bottom
    models = [c for c in table.columns if c not in ("feature", "label", "value", "stack")]
    hover = [
        f"{row.label}<br>value {row.value:.4g}<br>"
        + "<br>".join(f"{name}: {getattr(row, name):+.2f} bp" for name in models)
        for row in rows.itertuples()
    ]
    fig = go.Figure(
        go.Bar(
            x=rows["stack"], y=rows["label"], orientation="h", name="contribution",
            marker_color=[COLORS["calls"] if v >= 0 else COLORS["puts"] for v in rows["stack"]],
            hovertext=hover, hoverinfo="text",
        )
    )  # fmt: skip
    fig.add_vline(x=0, line={"color": COLORS["net"], "width": 0.6})
    title = (f"What moved the prediction on {pd.Timestamp(day):%Y-%m-%d}: {prediction_bp:+.1f} bp = "
             f"{base_bp:+.1f} bp base + the features' terms (top {len(table)} shown)")  # fmt: skip
    _styled(fig, title, "contribution to the predicted excess return (bp)")
    fig.update_layout(hovermode="closest", height=max(HEIGHT, 60 + 26 * len(table)), margin={"l": 260})
    return fig


def equity_curves(daily: pd.DataFrame) -> go.Figure:
    """Strategy, vol-target and buy-and-hold equity after costs (log scale)."""
    fig = go.Figure()
    series = [("equity", "strategy"), ("vol_target_equity", "vol target"), ("benchmark_equity", "buy & hold")]
    for column, name in series:
        if column in daily:
            fig.add_trace(go.Scatter(x=daily["date"], y=daily[column], name=name, line={"width": 1.2}))
    fig.update_yaxes(type="log")
    return _time_axis(_styled(fig, "Equity (after costs, log scale)", y_title="growth of 1"))


def drawdown(daily: pd.DataFrame) -> go.Figure:
    """Strategy drawdown from its running peak."""
    fig = go.Figure(go.Scatter(x=daily["date"], y=daily["drawdown"], fill="tozeroy", name="drawdown",
                               line={"color": COLORS["puts"], "width": 0.8}))  # fmt: skip
    fig.update_yaxes(tickformat=".0%")
    return _time_axis(_styled(fig, "Strategy drawdown", y_title="from peak"))
