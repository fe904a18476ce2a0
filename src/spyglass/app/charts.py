"""Chart builders for the app: each takes frames and returns a matplotlib figure (rendered by gr.Plot)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

WIDTH, HEIGHT = 10, 3.6


def _figure() -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    ax.grid(alpha=0.3)
    return fig, ax


def allocation_with_price(allocations: pd.DataFrame, prices: pd.DataFrame) -> Figure:
    """Daily allocation (left axis) and the adjusted close (right axis, log scale)."""
    fig, ax = _figure()
    ax.plot(allocations["date"], allocations["allocation"], lw=0.8, color="tab:blue", label="allocation")
    ax.set_ylabel("allocation (1 = invested)")
    price = ax.twinx()
    shown = prices[prices["date"] >= allocations["date"].min()]
    price.plot(shown["date"], shown["adj_close"], lw=0.8, color="tab:gray", label="price")
    price.set_yscale("log")
    price.set_ylabel("adjusted close")
    ax.set_title("Allocation history and price")
    fig.tight_layout()
    return fig


def smile(chain_iv: pd.DataFrame, expiry) -> Figure:
    """Implied vol against strike for one expiry (calls and puts), spot marked."""
    fig, ax = _figure()
    rows = chain_iv[pd.to_datetime(chain_iv["expiry"]) == pd.Timestamp(expiry)]
    for option_type, group in rows.groupby("option_type"):
        ax.plot(group["strike"], group["iv"], marker=".", lw=1, label=option_type)
    if len(rows):
        ax.axvline(rows["underlying_price"].iloc[0], color="black", lw=0.8, ls="--", label="spot")
    ax.set_xlabel("strike")
    ax.set_ylabel("implied vol")
    ax.set_title(f"Volatility smile, expiry {pd.Timestamp(expiry).date()}")
    ax.legend()
    fig.tight_layout()
    return fig


def term_structure(by_expiry_iv: pd.DataFrame) -> Figure:
    """ATM implied vol per expiry (days to expiry on the x axis)."""
    fig, ax = _figure()
    ax.plot(by_expiry_iv["days_to_expiry"], by_expiry_iv["iv_atm"], marker="o")
    ax.set_xlabel("days to expiry")
    ax.set_ylabel("ATM implied vol")
    ax.set_title("ATM term structure")
    fig.tight_layout()
    return fig


def gamma_by_strike(by_strike: pd.DataFrame, spot: float, flip: float | None, call_wall: float | None,
                    put_wall: float | None) -> Figure:  # fmt: skip
    """Dealer gamma exposure per strike (calls up, puts down, net line) with spot, flip and walls marked."""
    fig, ax = _figure()
    width = float(by_strike["strike"].diff().median() or 1.0) * 0.8
    ax.bar(by_strike["strike"], by_strike["call_gex_usd_per_pct"], width=width, color="tab:green", label="calls")
    ax.bar(by_strike["strike"], by_strike["put_gex_usd_per_pct"], width=width, color="tab:red", label="puts")
    ax.plot(by_strike["strike"], by_strike["gex_usd_per_pct"], color="black", lw=1, label="net")
    for level, style, label in ((spot, "-", "spot"), (flip, "--", "gamma flip"), (call_wall, ":", "call wall"),
                                (put_wall, "-.", "put wall")):  # fmt: skip
        if level is not None and pd.notna(level):
            ax.axvline(level, ls=style, color="tab:blue", lw=1, label=f"{label} {level:,.0f}")
    ax.set_xlabel("strike")
    ax.set_ylabel("USD per 1% move")
    ax.set_title("Dealer gamma exposure by strike")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def gamma_profile(profile: pd.DataFrame, spot: float) -> Figure:
    """Total dealer gamma exposure if spot moved to each level (IV, T and OI held fixed)."""
    fig, ax = _figure()
    ax.plot(profile["spot_level"], profile["gex_usd_per_pct"])
    ax.axhline(0, color="black", lw=0.6)
    ax.axvline(spot, color="tab:blue", ls="--", lw=1, label="spot")
    ax.set_xlabel("spot level")
    ax.set_ylabel("USD per 1% move")
    ax.set_title("Dealer gamma exposure against spot")
    ax.legend()
    fig.tight_layout()
    return fig


def feature_history(features: pd.DataFrame, columns: list[str], title: str) -> Figure:
    """Time series of some options features (e.g. put/call ratios, ATM IVs)."""
    fig, ax = _figure()
    for column in columns:
        if column in features:
            ax.plot(features["date"], features[column], lw=0.8, label=column)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def equity_curves(daily: pd.DataFrame) -> Figure:
    """Strategy, vol-target and buy-and-hold equity after costs (log scale)."""
    fig, ax = _figure()
    ax.plot(daily["date"], daily["equity"], label="strategy")
    ax.plot(daily["date"], daily["benchmark_equity"], label="buy & hold")
    if "vol_target_equity" in daily:
        ax.plot(daily["date"], daily["vol_target_equity"], label="vol target")
    ax.set_yscale("log")
    ax.set_title("Equity (after costs, log scale)")
    ax.legend()
    fig.tight_layout()
    return fig


def drawdown(daily: pd.DataFrame) -> Figure:
    """Strategy drawdown from its running peak."""
    fig, ax = _figure()
    ax.fill_between(daily["date"], daily["drawdown"], 0, color="tab:red", alpha=0.5)
    ax.set_title("Strategy drawdown")
    fig.tight_layout()
    return fig
