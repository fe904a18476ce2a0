"""Model-free volatility and skewness indices (CBOE's VIX and SKEW methods), on exact prices and a real chain."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest

from spyglass.data.cboe import read_cboe_quotedata
from spyglass.options.black_scholes import bs_price
from spyglass.options.variance_index import WEEKDAYS, VarianceIndexSpec, variance_indices

DAY = dt.date(2021, 3, 1)
ANY_DAY = {"expiry_weekdays": WEEKDAYS}  # the model chains list an expiry every few days, not only on Fridays
R, Q, SPOT = 0.03, 0.01, 100.0


def bsm_chain(vol_of, expiry_days, strikes, day=DAY) -> pl.DataFrame:
    """Quotes whose bid = ask = the BSM price at vol_of(log(K/F), T) for each expiry and strike."""
    frames = []
    for days in expiry_days:
        t = days / 365.0
        forward = SPOT * np.exp((R - Q) * t)
        vol = np.array([vol_of(np.log(k / forward), t) for k in strikes])
        for option_type in ("call", "put"):
            price = np.round(bs_price(SPOT, strikes, t, R, Q, vol, option_type == "call"), 10)
            frames.append(
                pl.DataFrame({"strike": strikes, "bid": price, "ask": price, "last": price}).with_columns(
                    option_type=pl.lit(option_type), expiry=pl.lit(day + dt.timedelta(days=days))
                )
            )
    return pl.concat(frames).with_columns(
        snapshot_date=pl.lit(day), snapshot_time=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
        last_trade_date=pl.lit(day), volume=1.0, open_interest=1.0, provider_iv=pl.lit(None, dtype=pl.Float64),
        underlying_price=SPOT, expiry=pl.col("expiry").cast(pl.Date),
    )  # fmt: skip


DENSE = np.arange(20.0, 400.0, 0.5)


def test_flat_vol_gives_the_vol_at_every_maturity_and_no_skew():
    chain = bsm_chain(lambda x, t: 0.2, (7, 14, 30, 60, 91, 182, 365), DENSE)
    row = variance_indices(chain, R, VarianceIndexSpec(**ANY_DAY)).row(0, named=True)
    for days in (9, 30, 91, 182):
        assert row[f"vix_{days}d"] == pytest.approx(20.0, abs=0.05)
    assert row["skew"] == pytest.approx(100.0, abs=0.1)  # log returns are normal under BSM: skewness 0


def test_total_variance_is_interpolated_between_the_bracketing_expiries():
    term = {20: 0.15, 40: 0.30}  # vol by expiry: total variance w = vol^2 T is linear in T between them
    chain = bsm_chain(lambda x, t: term[round(t * 365)], (20, 40), DENSE)
    spec = VarianceIndexSpec(maturities_days=(20, 30, 40, 9, 60), **ANY_DAY)
    row = variance_indices(chain, R, spec).row(0, named=True)
    w = 0.5 * (0.15**2 * 20 + 0.30**2 * 40) / 365
    assert row["vix_30d"] == pytest.approx(100 * np.sqrt(w / (30 / 365)), abs=0.05)
    assert row["vix_20d"] == pytest.approx(15.0, abs=0.05) and row["vix_40d"] == pytest.approx(30.0, abs=0.05)
    assert row["vix_9d"] is None and row["vix_60d"] is None  # no extrapolation outside the listed expiries


def test_a_put_skew_raises_the_index_above_atm_vol_and_lowers_skewness():
    skewed = bsm_chain(lambda x, t: max(0.2 - 0.3 * x, 0.1), (30,), DENSE)
    row = variance_indices(skewed, R, VarianceIndexSpec(maturities_days=(30,), **ANY_DAY)).row(0, named=True)
    flat_chain = bsm_chain(lambda x, t: 0.2, (30,), DENSE)
    flat = variance_indices(flat_chain, R, VarianceIndexSpec(maturities_days=(30,), **ANY_DAY))
    assert row["vix_30d"] > 20.2  # the variance swap rate sits above ATM vol (20 %) under a put skew
    assert row["skew"] > flat["skew"][0] + 5 and flat["skew"][0] == pytest.approx(100.0, abs=0.1)


def test_an_expiry_with_too_few_priced_strikes_is_not_used():
    sparse = bsm_chain(lambda x, t: 0.2, (30,), np.array([95.0, 100.0, 105.0]))
    dense = bsm_chain(lambda x, t: 0.25, (40,), DENSE)
    row = variance_indices(pl.concat([sparse, dense]), R, VarianceIndexSpec(maturities_days=(30, 40), **ANY_DAY)).row(
        0, named=True
    )
    assert row["vix_30d"] is None  # the 30-day expiry has 1 strike a side: unusable, and 40 days alone can't bracket 30
    assert row["vix_40d"] == pytest.approx(25.0, abs=0.05)


def test_snapshots_are_computed_independently():
    one = bsm_chain(lambda x, t: 0.2, (7, 30, 60), DENSE)
    two = bsm_chain(lambda x, t: 0.3, (7, 30, 60), DENSE, day=DAY + dt.timedelta(days=1))
    both = variance_indices(pl.concat([two, one]), R, VarianceIndexSpec(maturities_days=(30,), **ANY_DAY))
    assert both["snapshot_date"].to_list() == [DAY, DAY + dt.timedelta(days=1)]
    assert both["vix_30d"].to_list() == pytest.approx([20.0, 30.0], abs=0.05)


def vix_white_paper(quotedata, rate: float, days: int = 30) -> float:
    """CBOE's VIX from the raw CSV, written independently of spyglass: Friday expiries bracketing `days` (PM-settled
    SPXW, T in calendar days / 365), each priced by spyglass's rule (the two-sided mid, else a last sale of the
    session), the forward from put-call parity, K0, the out-of-the-money strip, and linear interpolation of total
    variance."""
    raw = pd.read_csv(quotedata, skiprows=3)
    raw["expiry"] = pd.to_datetime(raw["Expiration Date"], format="%a %b %d %Y")
    raw["days"] = (raw["expiry"] - pd.Timestamp("2022-12-12")).dt.days
    raw = raw[(raw["expiry"].dt.dayofweek == 4) & raw["Calls"].str.startswith("SPXW")]

    def price(side: str) -> pd.Series:
        bid, ask, last, volume = (raw[f"{c}{side}"] for c in ("Bid", "Ask", "Last Sale", "Volume"))
        mid = ((bid + ask) / 2).where((bid > 0) & (ask > 0) & (ask >= bid))
        return mid.fillna(last.where((last > 0) & (volume > 0)))

    raw = raw.assign(call=price(""), put=price(".1"))
    near = raw.loc[raw["days"] <= days, "days"].max()
    far = raw.loc[raw["days"] > days, "days"].min()
    total_variance = {}
    for expiry_days in (near, far):
        rows = raw[raw["days"] == expiry_days].sort_values("Strike")
        t = expiry_days / 365.0
        both = rows.dropna(subset=["call", "put"])
        at = (both["call"] - both["put"]).abs().idxmin()
        forward = both.loc[at, "Strike"] + np.exp(rate * t) * (both.loc[at, "call"] - both.loc[at, "put"])
        k0 = rows.loc[rows["Strike"] <= forward, "Strike"].max()
        q = np.where(rows["Strike"] < k0, rows["put"], np.where(rows["Strike"] > k0, rows["call"],
                     rows[["call", "put"]].mean(axis=1)))  # fmt: skip
        strip = pd.DataFrame({"k": rows["Strike"].to_numpy(), "q": q}).dropna().query("q > 0").reset_index(drop=True)
        dk = strip["k"].diff().add(-strip["k"].diff(-1)).div(2)
        dk.iloc[0], dk.iloc[-1] = strip["k"].iloc[1] - strip["k"].iloc[0], strip["k"].iloc[-1] - strip["k"].iloc[-2]
        variance = 2 / t * np.sum(dk / strip["k"] ** 2 * np.exp(rate * t) * strip["q"]) - (forward / k0 - 1) ** 2 / t
        total_variance[t] = variance * t
    (t1, w1), (t2, w2) = sorted(total_variance.items())
    target = days / 365.0
    return 100 * np.sqrt((w1 + (w2 - w1) * (target - t1) / (t2 - t1)) / target)


def test_the_real_spx_chain_of_2022_12_12_gives_the_days_vix_by_cboes_expiry_choice(spx_quotedata, vix_csv):
    chain = read_cboe_quotedata(spx_quotedata)
    index = variance_indices(chain, 0.04, VarianceIndexSpec()).row(0, named=True)
    vix = pd.read_csv(vix_csv, parse_dates=["DATE"]).set_index("DATE")["CLOSE"]
    published = vix.loc["2022-12-12"]
    assert published == pytest.approx(25.0)
    # Fridays only: 2023-01-06 (25 days) and 2023-01-13 (32 days), not the thin Wednesday at exactly 30 days.
    assert index["vix_30d"] == pytest.approx(vix_white_paper(spx_quotedata, 0.04), rel=1e-12)
    print(f"30-day index {index['vix_30d']:.2f} against the published VIX {published:.2f}")
    assert abs(index["vix_30d"] - published) < 0.3
    assert 15 < index["vix_9d"] < 40 and 15 < index["vix_91d"] < 40 and 15 < index["vix_182d"] < 40
    assert 100 < index["skew"] < 160  # CBOE's SKEW lives in 100..160


def test_an_expiry_off_the_eligible_weekdays_or_without_open_interest_never_enters():
    chain = bsm_chain(lambda x, t: 0.2 + 0.1 * (t < 0.06), (11, 30, 46), DENSE)  # 2021-03-12 is a Friday
    assert [d.weekday() for d in chain["expiry"].unique().sort()] == [4, 2, 4]
    fridays = variance_indices(chain, R, VarianceIndexSpec(maturities_days=(30,))).row(0, named=True)
    every_day = variance_indices(chain, R, VarianceIndexSpec(maturities_days=(30,), **ANY_DAY)).row(0, named=True)
    assert every_day["vix_30d"] == pytest.approx(20.0, abs=0.05)  # the Wednesday at exactly 30 days, alone
    assert 20.0 < fridays["vix_30d"] < 30.0  # the Fridays either side, 11 days at 30 % and 46 at 20 %
    listed_today = chain.with_columns(
        open_interest=pl.when(pl.col("expiry") == DAY + dt.timedelta(days=30)).then(0.0).otherwise(1.0)
    )
    thin = variance_indices(listed_today, R, VarianceIndexSpec(maturities_days=(30,), **ANY_DAY)).row(0, named=True)
    assert thin["vix_30d"] == pytest.approx(fridays["vix_30d"])
