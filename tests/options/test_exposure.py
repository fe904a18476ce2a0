"""Dealer exposures by hand, the gamma profile against a direct re-pricing, and the flip level."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from spyglass.options.black_scholes import bs_greeks
from spyglass.options.exposure import (
    contract_exposures,
    exposure_by_expiry,
    exposure_by_strike,
    gamma_flip,
    gamma_profile,
    gamma_walls,
    sign_changes,
)

DAY = dt.date(2024, 5, 1)


def contracts(rows) -> pl.DataFrame:
    """rows: (strike, days, is_call, open_interest, iv)."""
    strike, days, is_call, oi, iv = (list(c) for c in zip(*rows, strict=True))
    return pl.DataFrame(
        {
            "snapshot_date": [DAY] * len(rows),
            "expiry": [DAY + dt.timedelta(days=d) for d in days],
            "strike": strike,
            "t_years": [d / 365 for d in days],
            "is_call": is_call,
            "open_interest": [float(x) for x in oi],
            "iv": iv,
            "underlying_price": [100.0] * len(rows),
        }
    )


def test_exposures_by_hand_for_one_call_and_one_put():
    frame = contract_exposures(contracts([(105.0, 30, True, 10, 0.2), (95.0, 30, False, 20, 0.25)]), 0.01, 0.0)
    call = bs_greeks(100.0, 105.0, 30 / 365, 0.01, 0.0, 0.2, True)
    put = bs_greeks(100.0, 95.0, 30 / 365, 0.01, 0.0, 0.25, False)
    expected_gex = [float(call["gamma"]) * 10 * 100 * 100**2 * 0.01, -float(put["gamma"]) * 20 * 100 * 100**2 * 0.01]
    np.testing.assert_allclose(frame["gex_usd_per_pct"], expected_gex)
    np.testing.assert_allclose(
        frame["dealer_delta_usd"], [float(call["delta"]) * 10 * 100 * 100, -float(put["delta"]) * 20 * 100 * 100]
    )
    np.testing.assert_allclose(
        frame["vanna_usd_per_vol_pt"],
        [float(call["vanna"]) * 1000 * 100 * 0.01, -float(put["vanna"]) * 2000 * 100 * 0.01],
    )
    np.testing.assert_allclose(
        frame["charm_usd_per_day"], [float(call["charm"]) * 1000 * 100 / 365, -float(put["charm"]) * 2000 * 100 / 365]
    )


def skewed_book() -> pl.DataFrame:
    """Heavy put open interest below spot, heavy call open interest above: dealer gamma flips near spot."""
    rows = [(k, 30, True, 1000 if k > 100 else 50, 0.2) for k in range(80, 121, 5)]
    rows += [(k, 30, False, 1000 if k < 100 else 50, 0.2) for k in range(80, 121, 5)]
    rows += [(k, 90, True, 300, 0.22) for k in (100, 110)]
    return contract_exposures(contracts(rows), 0.0, 0.0)


def test_profile_equals_direct_repricing_at_each_level():
    book = skewed_book()
    relative = np.linspace(0.8, 1.2, 9)
    profile = gamma_profile(book, 0.0, 0.0, relative)
    for j, level in enumerate(profile.levels[0]):
        gamma = bs_greeks(
            level,
            book["strike"].to_numpy(),
            book["t_years"].to_numpy(),
            0.0,
            0.0,
            book["iv"].to_numpy(),
            book["is_call"].to_numpy(),
        )["gamma"]
        sign = np.where(book["is_call"].to_numpy(), 1.0, -1.0)
        direct = np.sum(sign * gamma * book["open_interest"].to_numpy()) * 100 * level**2 * 0.01
        assert profile.exposure[0, j] == pytest.approx(direct, rel=1e-12)
    at_spot = gamma_profile(book, 0.0, 0.0, np.array([1.0])).exposure[0, 0]
    assert at_spot == pytest.approx(book["gex_usd_per_pct"].sum(), rel=1e-12)


def test_flip_is_where_the_profile_changes_sign():
    book = skewed_book()
    profile = gamma_profile(book, 0.0, 0.0, np.linspace(0.85, 1.15, 61))
    flip = profile.flips()[0]
    assert 90 < flip < 110
    fine = gamma_profile(book, 0.0, 0.0, np.array([flip - 0.05, flip + 0.05]) / 100.0).exposure[0]
    assert fine[0] * fine[1] < 0  # the sign really changes across the reported level


def test_walls_sit_on_their_side_of_spot_even_when_one_strike_holds_the_most_gamma_of_both():
    rows = [(k, 30, True, 5000 if k == 100 else 100, 0.2) for k in (95, 100, 105, 110)]
    rows += [(k, 30, False, 5000 if k == 100 else 100, 0.2) for k in (90, 95, 100, 105)]
    by_strike = exposure_by_strike(contract_exposures(contracts(rows), 0.0, 0.0))

    def walls(spot: float) -> dict:
        row = gamma_walls(by_strike, pl.DataFrame({"snapshot_date": [DAY], "spot": [spot]})).row(0, named=True)
        assert (row["call_wall_overall"], row["put_wall_overall"]) == (100.0, 100.0)  # the other reading: anywhere
        return {"call_wall": row["call_wall"], "put_wall": row["put_wall"]}

    assert walls(100.0) == {"call_wall": 100.0, "put_wall": 100.0}  # spot on the strike
    assert walls(100.5) == {"call_wall": 105.0, "put_wall": 100.0}
    assert walls(99.5) == {"call_wall": 100.0, "put_wall": 95.0}
    assert walls(120.0)["call_wall"] is None and walls(80.0)["put_wall"] is None  # no strike on that side


def test_flip_interpolates_linearly_and_picks_the_crossing_nearest_spot():
    levels = np.array([[90.0, 95.0, 100.0, 105.0, 110.0]])
    profile = np.array([[-1.0, 1.0, 2.0, 1.0, -3.0]])
    assert gamma_flip(levels, profile, np.array([96.0]))[0] == pytest.approx(92.5)
    assert gamma_flip(levels, profile, np.array([108.0]))[0] == pytest.approx(106.25)
    assert np.isnan(gamma_flip(levels, np.abs(profile) + 1, np.array([100.0]))[0])
    assert sign_changes(profile).tolist() == [2]  # two crossings: the flip reports the one nearest spot
    assert sign_changes(np.array([[1.0, 0.0, 1.0], [2.0, 3.0, 4.0], [-1.0, 0.0, -2.0]])).tolist() == [2, 0, 0]


def test_strike_and_expiry_tables_and_walls():
    book = skewed_book()
    by_strike = exposure_by_strike(book)
    assert by_strike["strike"].to_list() == [float(k) for k in range(80, 121, 5)]
    assert (by_strike["call_gex_usd_per_pct"] >= 0).all() and (by_strike["put_gex_usd_per_pct"] <= 0).all()
    np.testing.assert_allclose(
        by_strike["gex_usd_per_pct"], by_strike["call_gex_usd_per_pct"] + by_strike["put_gex_usd_per_pct"]
    )
    walls = gamma_walls(by_strike, pl.DataFrame({"snapshot_date": [DAY], "spot": [100.0]})).row(0, named=True)
    assert walls["call_wall"] > 100 and walls["put_wall"] < 100
    by_expiry = exposure_by_expiry(book)
    assert by_expiry["days_to_expiry"].to_list() == [30, 90]
    assert by_expiry["gex_usd_per_pct"].sum() == pytest.approx(book["gex_usd_per_pct"].sum())
