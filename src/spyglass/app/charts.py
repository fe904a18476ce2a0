"""Chart builders for the app: each takes frames and returns an interactive plotly figure (rendered by gr.Plot).

Figures have no fixed width (they fill the page's column, laptop to wide screen), a unified hover per x value,
and zoom/pan from plotly's toolbar; time series get a range selector. Gradio ships plotly.js, so charts render
offline.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from spyglass.features.names import readable

# The app's look, as plotly's default template: a figure then takes it by reference, where setting it on each
# figure deep-copies and validates it (35 ms a chart, most of a snapshot switch's server time).
pio.templates.default = "plotly_white"
HEIGHT = 380
CHOSEN_DAY = "chosen day"  # the name of the line marking the chosen snapshot on time series (the app moves it)
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
    """Range buttons (1y, 5y, all) on a date x axis (the top one), days in the hover."""
    fig.update_xaxes(hoverformat="%Y-%m-%d")
    fig.update_layout(xaxis={"rangeselector": {"buttons": RANGE_BUTTONS, "x": 0, "y": 1.02, "yanchor": "bottom"}})
    return fig


def _sign_colors(values: Iterable[float]) -> list[str]:
    """Green for a value at or above zero (long gamma, a push up), red below."""
    return [COLORS["calls"] if value >= 0 else COLORS["puts"] for value in values]


def _mark_day(fig: go.Figure, day) -> go.Figure:
    """A vertical line at the chosen snapshot date on every panel of a time-series grid."""
    if day is not None:
        line = {"dash": "dot", "color": COLORS["marker"], "width": 1}
        fig.add_vline(x=pd.Timestamp(day).strftime("%Y-%m-%d"), line=line, row="all", col=1, name=CHOSEN_DAY)
    return fig


def _mark_levels(fig: go.Figure, levels: Iterable[tuple[float | None, str, str]]) -> go.Figure:
    """Vertical lines at price levels (spot, flip, walls), each labelled with its value at its own height (so
    nearby levels stay readable); missing levels are skipped."""
    shown = [(float(level), dash, label) for level, dash, label in levels if level is not None and pd.notna(level)]
    line = {"color": COLORS["marker"], "width": 1}
    shapes = [{"type": "line", "x0": level, "x1": level, "xref": "x", "y0": 0, "y1": 1, "yref": "paper",
               "line": line | {"dash": dash}} for level, dash, _ in shown]  # fmt: skip
    notes = [{"x": level, "y": 1 - 0.07 * row, "xref": "x", "yref": "paper", "text": f"{label} {level:,.0f}",
              "showarrow": False, "xanchor": "left", "font": {"size": 10}, "bgcolor": "rgba(255,255,255,0.8)"}
             for row, (level, _, label) in enumerate(shown)]  # fmt: skip
    fig.update_layout(shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *notes])
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


SMILE_DAYS = (7, 30, 60, 91, 182, 365)  # maturities whose nearest expiries join the chosen one on the smile chart


def smile_expiries(days_by_expiry: pd.Series, chosen, wanted: tuple[int, ...] = SMILE_DAYS) -> list:
    """The chosen expiry and the listed expiries nearest each wanted maturity (days), by days to expiry."""
    picked = {pd.Timestamp(chosen)} if chosen is not None else set()
    for days in wanted:
        picked.add((days_by_expiry - days).abs().idxmin())
    return sorted((e for e in picked if e in days_by_expiry.index), key=lambda e: days_by_expiry[e])


def smiles(chain_iv: pd.DataFrame, chosen) -> go.Figure:
    """Implied vol against strike of several expiries on one chart (out-of-the-money side: puts below the
    forward, calls above), the chosen expiry drawn bold; spot marked."""
    rows = chain_iv.dropna(subset=["iv"]).assign(expiry=lambda f: pd.to_datetime(f["expiry"]))
    forward = rows["forward"] if "forward" in rows else rows["underlying_price"]
    rows = rows[(rows["option_type"] == "put") == (rows["strike"] < forward)]
    snapshot = pd.Timestamp(rows["snapshot_date"].iloc[0]) if "snapshot_date" in rows and len(rows) else None
    days = rows.groupby("expiry")["expiry"].first().map(lambda e: (e - snapshot).days if snapshot else 0)
    fig = go.Figure()
    chosen = pd.Timestamp(chosen) if chosen is not None else None
    for expiry in smile_expiries(days, chosen) if len(rows) else []:
        group = rows[rows["expiry"] == expiry].sort_values("strike")
        bold = expiry == chosen
        fig.add_trace(go.Scatter(
            x=group["strike"], y=group["iv"], mode="lines", name=f"{expiry:%Y-%m-%d} ({days[expiry]} d)",
            line={"width": 3 if bold else 1.2}, hovertemplate="strike %{x:,.0f}: IV %{y:.1%}",
        ))  # fmt: skip
    if len(rows):
        _mark_levels(fig, [(rows["underlying_price"].iloc[0], "dash", "spot")])
    fig.update_yaxes(tickformat=".0%")
    title = "Volatility smiles (out of the money)" + (f", bold: {chosen:%Y-%m-%d}" if chosen is not None else "")
    fig = _styled(fig, title, "strike", "implied vol")
    fig.update_layout(hovermode="closest")
    return fig


def term_structure(by_expiry_iv: pd.DataFrame, chosen_days: float | None = None) -> go.Figure:
    """ATM implied vol per expiry (days to expiry on the x axis), the chosen expiry marked."""
    fig = go.Figure(go.Scatter(x=by_expiry_iv["days_to_expiry"], y=by_expiry_iv["iv_atm"], mode="lines+markers",
                               name="ATM IV", hovertemplate="%{x:.0f} days: %{y:.1%}"))  # fmt: skip
    chosen = by_expiry_iv[by_expiry_iv["days_to_expiry"] == chosen_days] if chosen_days is not None else []
    if len(chosen):
        fig.add_trace(go.Scatter(x=chosen["days_to_expiry"], y=chosen["iv_atm"], mode="markers", name="chosen expiry",
                                 marker={"size": 12, "symbol": "circle-open", "color": COLORS["puts"]},
                                 hovertemplate="chosen: %{x:.0f} days, %{y:.1%}"))  # fmt: skip
    fig.update_yaxes(tickformat=".1%")
    return _styled(fig, "ATM term structure", "days to expiry", "ATM implied vol")


def gex_by_expiry(by_expiry: pd.DataFrame, chosen=None) -> go.Figure:
    """Net dealer gamma exposure of each expiry (bn USD per 1 % move; green long gamma, red short), the
    chosen expiry outlined."""
    expiry = pd.to_datetime(by_expiry["expiry"])
    gex = by_expiry["gex_usd_per_pct"] / 1e9
    chosen = pd.Timestamp(chosen) if chosen is not None else None
    fig = go.Figure(go.Bar(
        x=expiry.dt.strftime("%Y-%m-%d"), y=gex, name="net dealer gamma",
        marker={"color": _sign_colors(gex),
                "line": {"width": [2.5 if e == chosen else 0 for e in expiry], "color": COLORS["net"]}},
        customdata=by_expiry["days_to_expiry"],
        hovertemplate="%{x} (%{customdata} d): %{y:+.2f} bn USD per 1 % move<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(type="category")
    return _styled(fig, "Dealer gamma exposure by expiry", "expiry", "bn USD per 1% move")


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


def levels_over_time(features: pd.DataFrame, chosen_day=None) -> go.Figure:
    """Spot with the gamma flip and the walls over time (top), net dealer gamma in bn USD per 1 % move
    (bottom, green long gamma, red short); the chosen snapshot date marked."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.04)
    for column, name, line in (
        ("spot", "spot", {"color": COLORS["net"], "width": 1.2}),
        ("gamma_flip", "gamma flip", {"color": COLORS["marker"], "width": 1, "dash": "dash"}),
        ("call_wall", "call wall", {"color": COLORS["calls"], "width": 1, "dash": "dot"}),
        ("put_wall", "put wall", {"color": COLORS["puts"], "width": 1, "dash": "dot"}),
    ):
        if column in features:
            fig.add_trace(go.Scatter(x=features["date"], y=features[column], name=name, line=line,
                                     hovertemplate="%{y:,.0f}"), row=1, col=1)  # fmt: skip
    if "gex_usd_per_pct" in features:  # two filled areas, not 5,000 bars: a redraw stays cheap
        gex = features["gex_usd_per_pct"] / 1e9
        for name, part, color in (("long gamma", gex.clip(lower=0), COLORS["calls"]),
                                  ("short gamma", gex.clip(upper=0), COLORS["puts"])):  # fmt: skip
            fig.add_trace(go.Scatter(x=features["date"], y=part, name=name, fill="tozeroy", mode="lines",
                                     line={"width": 0, "color": color}, hovertemplate="%{y:+.2f} bn"),
                          row=2, col=1)  # fmt: skip
    fig.update_yaxes(title_text="index level", row=1, col=1)
    fig.update_yaxes(title_text="bn USD per 1%", row=2, col=1)
    fig = _mark_day(_time_axis(_styled(fig, "Spot, gamma flip and walls; net dealer gamma")), chosen_day)
    fig.update_layout(height=HEIGHT + 140)
    return fig


def feature_history(
    features: pd.DataFrame, columns: list[str], title: str, one_axis: bool = False, day=None
) -> go.Figure:
    """Time series of options features, each in its own panel with its own scale (so IV beside a dollar
    exposure is not squashed), named readably; `one_axis` draws them on one panel (same-scale series, e.g. the
    put/call ratios); `day` (the chosen snapshot) marked. Unknown columns are skipped."""
    shown = [c for c in columns if c in features]
    panels = 1 if one_axis else max(len(shown), 1)
    fig = make_subplots(rows=panels, cols=1, shared_xaxes=True, vertical_spacing=0.03 if panels > 1 else 0,
                        subplot_titles=None if one_axis else [readable(c) for c in shown])  # fmt: skip
    for row, column in enumerate(shown, start=1):
        fig.add_trace(go.Scatter(x=features["date"], y=features[column], name=readable(column), line={"width": 1},
                                 hovertemplate="%{y:.4~g}"), row=1 if one_axis else row, col=1)  # fmt: skip
    fig = _mark_day(_time_axis(_styled(fig, title)), day)
    if not one_axis:
        fig.update_layout(height=max(HEIGHT, 110 + 150 * panels), showlegend=False)
        fig.update_annotations(font={"size": 11}, x=1, xanchor="right")  # clear of the range buttons
    return fig


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
            marker_color=_sign_colors(rows["stack"]),
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
