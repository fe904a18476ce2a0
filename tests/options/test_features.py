from __future__ import annotations

import datetime as dt
import io

import numpy as np
import polars as pl
import pytest

from spyglass.options.black_scholes import bs_price
from spyglass.options.features import (
    OptionsFeatureSpec,
    constant_maturity_iv,
    interpolate_in_groups,
    options_analytics,
    put_call_ratios,
)

R, Q, SPOT = 0.02, 0.01, 100.0
DAY = dt.date(2021, 3, 1)


STRIKES = np.arange(80.0, 121.0, 2.5)


def chain_from_surface(iv_of, expiry_days=(30, 90), strikes=STRIKES, day=DAY) -> pl.DataFrame:
    """A chain whose mids are exact BSM prices from iv_of(log_moneyness, t_years)."""
    rows = []
    for days in expiry_days:
        t = days / 365.0
        forward = SPOT * np.exp((R - Q) * t)
        for option_type in ("call", "put"):
            iv = np.array([iv_of(np.log(k / forward), t) for k in strikes])
            price = bs_price(SPOT, strikes, t, R, Q, iv, option_type == "call")
            for k, p in zip(strikes, price, strict=True):
                rows.append(
                    {
                        "snapshot_date": day,
                        "snapshot_time": None,
                        "expiry": day + dt.timedelta(days=days),
                        "option_type": option_type,
                        "strike": k,
                        "bid": p,
                        "ask": p,
                        "last": p,
                        "last_trade_date": day,
                        "volume": 10.0 if option_type == "call" else 15.0,
                        "open_interest": 100.0 if option_type == "call" else 300.0,
                        "provider_iv": None,
                        "underlying_price": SPOT,
                    }
                )
    return pl.DataFrame(rows, schema_overrides={"provider_iv": pl.Float64})


def features_of(chain: pl.DataFrame, maturities=(30, 90)) -> dict:
    spec = OptionsFeatureSpec(atm_maturities_days=tuple(maturities))
    return options_analytics(chain, R, Q, spec).features.row(0, named=True)


def test_flat_surface_gives_flat_atm_iv_no_skew_and_no_slope():
    f = features_of(chain_from_surface(lambda x, t: 0.2))
    assert f["iv_atm_30d"] == pytest.approx(0.2, abs=1e-6)
    assert f["iv_atm_90d"] == pytest.approx(0.2, abs=1e-6)
    assert f["iv_skew_30d"] == pytest.approx(0.0, abs=1e-6)
    assert f["iv_term_slope"] == pytest.approx(0.0, abs=1e-6)


def test_put_call_ratios_by_volume_and_open_interest():
    f = features_of(chain_from_surface(lambda x, t: 0.2))
    assert f["pcr_volume"] == pytest.approx(1.5)
    assert f["pcr_oi"] == pytest.approx(3.0)
    assert f["n_contracts"] == 2 * 2 * 17
    assert f["pcr_volume_0_30d"] == pytest.approx(1.5) and f["pcr_oi_31_90d"] == pytest.approx(3.0)
    assert f["pcr_volume_91d_plus"] is None  # no contracts beyond 90 days


def test_linear_skew_is_measured_from_otm_wings():
    f = features_of(chain_from_surface(lambda x, t: 0.2 - 0.5 * x))
    # IV(x) = 0.2 - 0.5x; wings at x = ln(0.95) and ln(1.05), linear interpolation between strikes is exact.
    assert f["iv_skew_30d"] == pytest.approx(-0.5 * (np.log(0.95) - np.log(1.05)), abs=2e-3)


def test_constant_maturity_interpolates_total_variance():
    f = features_of(chain_from_surface(lambda x, t: 0.2 if t < 0.1 else 0.3), maturities=(30, 60, 90))
    t30, t60, t90 = 30 / 365, 60 / 365, 90 / 365
    w = 0.2**2 * t30 + (0.3**2 * t90 - 0.2**2 * t30) * (t60 - t30) / (t90 - t30)
    assert f["iv_atm_60d"] == pytest.approx(np.sqrt(w / t60), abs=1e-5)
    assert f["iv_term_slope"] == pytest.approx(0.1, abs=1e-5)


def test_outside_listed_expiries_iv_is_held_flat():
    per_expiry = pl.DataFrame({"snapshot_date": [DAY, DAY], "t_years": [0.1, 0.2], "iv": [0.2, 0.25]})
    short = constant_maturity_iv(per_expiry, "iv", 7).row(0)[1]
    long = constant_maturity_iv(per_expiry, "iv", 365).row(0)[1]
    assert (short, long) == (pytest.approx(0.2), pytest.approx(0.25))


def test_interpolation_ignores_missing_points():
    frame = pl.DataFrame({"g": [1, 1, 1], "x": [0.0, 1.0, 2.0], "y": [0.0, None, 4.0]})
    assert interpolate_in_groups(frame, ["g"], "x", "y", 1.0)["value"][0] == pytest.approx(2.0)


def test_crossed_or_empty_quotes_are_not_used():
    chain = chain_from_surface(lambda x, t: 0.2)
    broken = chain.with_columns(
        bid=pl.when(pl.col("strike") == 100.0).then(0.0).otherwise(pl.col("bid")),
    )
    f = features_of(broken)
    assert f["iv_atm_30d"] == pytest.approx(0.2, abs=1e-6)


def test_zero_call_volume_gives_null_ratio():
    chain = chain_from_surface(lambda x, t: 0.2).with_columns(
        volume=pl.when(pl.col("option_type") == "call").then(0.0).otherwise(pl.col("volume"))
    )
    assert put_call_ratios(chain)["pcr_volume"][0] is None


def test_one_row_per_snapshot_date_sorted():
    later = chain_from_surface(lambda x, t: 0.3, day=DAY + dt.timedelta(days=1))
    chain = pl.concat([later, chain_from_surface(lambda x, t: 0.2)])
    features = options_analytics(chain, R, Q, OptionsFeatureSpec()).features
    assert features["date"].to_list() == [DAY, DAY + dt.timedelta(days=1)]
    assert features["iv_atm_30d"].to_list() == [pytest.approx(0.2, abs=1e-6), pytest.approx(0.3, abs=1e-6)]


def test_flat_surface_has_no_risk_reversal_and_a_steep_put_skew_has_a_negative_one():
    assert features_of(chain_from_surface(lambda x, t: 0.2))["rr_25d_30d"] == pytest.approx(0.0, abs=1e-6)
    assert features_of(chain_from_surface(lambda x, t: 0.2 - 0.8 * x))["rr_25d_30d"] < -0.02


def test_exposures_follow_the_dealer_convention():
    f = features_of(chain_from_surface(lambda x, t: 0.2))
    # Put open interest (300) exceeds call open interest (100) at every strike: dealers, short the puts, are
    # short gamma overall; long calls and short puts both leave them long delta.
    assert f["gex_usd_per_pct"] < 0
    assert f["dealer_delta_usd"] > 0
    assert f["chain_vega_usd_per_vol_pt"] > 0 and f["chain_theta_usd_per_day"] < 0
    assert f["put_wall"] == f["call_wall"] == pytest.approx(100.0, abs=2.5)
    assert f["spot"] == SPOT


def test_cleaning_counts_and_latest_tables():
    chain = chain_from_surface(lambda x, t: 0.2).with_columns(
        open_interest=pl.when(pl.col("strike") == 80.0).then(0.0).otherwise(pl.col("open_interest"))
    )
    analytics = options_analytics(chain, R, Q, OptionsFeatureSpec())
    assert analytics.dropped_by_rule["zero_open_interest"] == 4  # 2 expiries x call and put
    assert analytics.features["n_priced"][0] == chain.height - 4 - sum(
        v for k, v in analytics.dropped_by_rule.items() if k != "zero_open_interest"
    )
    assert analytics.latest_by_strike["strike"].to_list() == sorted(set(STRIKES.tolist()) - {80.0})
    assert sorted(analytics.latest_by_expiry["days_to_expiry"].to_list()) == [30, 90]
    assert analytics.latest_profile.height == OptionsFeatureSpec().profile_levels


def test_every_output_is_the_same_bytes_whatever_the_order_of_the_input_rows():
    """Sums are added in a fixed order: the store's row order (or polars' threads) cannot change a bit."""
    days = [DAY + dt.timedelta(days=i) for i in range(4)]
    expiries = tuple(range(7, 200, 7))
    chain = pl.concat([chain_from_surface(lambda x, t: 0.2 - 0.3 * x, expiries, day=day) for day in days])
    chain = chain.with_columns(open_interest=pl.col("open_interest") * (1 + pl.col("strike") / 7.3))

    def tables(frame: pl.DataFrame) -> list[bytes]:
        analytics = options_analytics(frame, R, Q, OptionsFeatureSpec())
        out = []
        for table in (analytics.features, analytics.latest_by_strike, analytics.latest_by_expiry,
                      analytics.latest_profile):  # fmt: skip
            buffer = io.BytesIO()
            table.write_parquet(buffer)
            out.append(buffer.getvalue())
        return out

    assert tables(chain) == tables(chain.sample(fraction=1.0, shuffle=True, seed=7))
