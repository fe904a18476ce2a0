"""spyglass's IVs and gammas against the provider's: exact on a chain priced by the model, close on CBOE's."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from spyglass.options.black_scholes import bs_greeks
from spyglass.options.provider_comparison import difference_summary, provider_differences


def model_chain(days: list[int], iv: float = 0.2, spot: float = 100.0, r: float = 0.04, q: float = 0.01):
    """Calls and puts at strikes 80..120 priced at `iv`, quoted at their model price, with the model's gamma."""
    strikes, types, expiries = [], [], []
    for d in days:
        for k in range(80, 121, 5):
            for option_type in ("call", "put"):
                strikes.append(float(k)), types.append(option_type), expiries.append(d)
    t = np.array(expiries) / 365.0
    greeks = bs_greeks(spot, np.array(strikes), t, r, q, iv, np.array(types) == "call")
    day = dt.date(2024, 1, 2)
    return pl.DataFrame({
        "snapshot_date": [day] * len(strikes), "expiry": [day + dt.timedelta(days=d) for d in expiries],
        "option_type": types, "strike": strikes, "bid": greeks["price"], "ask": greeks["price"], "last": None,
        "last_trade_date": [day] * len(strikes), "volume": 1.0, "open_interest": 1.0, "provider_iv": iv,
        "underlying_price": spot, "provider_gamma": greeks["gamma"],
    }).cast({"last": pl.Float64})  # fmt: skip


def test_a_chain_priced_by_the_model_matches_it_exactly_out_of_the_money_within_the_window():
    differences = provider_differences(model_chain([3, 30, 90, 200]), 0.04, 0.01)
    assert sorted(differences["days"].unique().to_list()) == [30, 90]  # 3 and 200 days are outside 7..120
    # The forward is above 100 (r > q): out of the money are the calls from 105 and the puts up to 100.
    assert differences.filter(pl.col("option_type") == "call")["strike"].unique().sort().to_list() == [
        105,
        110,
        115,
        120,
    ]
    assert differences.filter(pl.col("option_type") == "put")["strike"].unique().sort().to_list() == [
        80,
        85,
        90,
        95,
        100,
    ]
    summary = difference_summary(differences)["all"]
    assert summary["iv_abs_diff_vol_pts"]["p90"] < 1e-6 and summary["gamma_abs_rel_diff_pct"]["p90"] < 1e-6
    assert summary["contracts"] == 2 * 9


def test_cboes_real_chain_is_within_a_vol_point_at_the_median(spx_quotedata):
    from spyglass.data.cboe import read_cboe_quotedata

    summary = difference_summary(provider_differences(read_cboe_quotedata(spx_quotedata), 0.04, 0.015))
    everything = summary["all"]
    assert everything["contracts"] > 4000 and summary["mid"]["contracts"] == 0  # taken at 8:30 PM: last trades only
    # Last trades struck during a +56-point session, solved against the closing spot: a vol point at the median,
    # with a tail of trades far from the close; no systematic bias between the two engines.
    assert everything["iv_abs_diff_vol_pts"]["median"] < 1.0
    assert everything["iv_abs_diff_vol_pts"]["p90"] < 5.0
    assert abs(everything["iv_signed_median_vol_pts"]) < 0.25
    assert everything["gamma_abs_rel_diff_pct"]["median"] < 10.0
