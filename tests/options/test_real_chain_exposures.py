"""spyglass's dealer positioning side by side with the standard method on CBOE's real SPX chain of 2022-12-12.

Every expectation is computed here from the CSV (pandas, independently of the engine's reader) or from the
engine's own kernels fed CBOE's numbers, never frozen engine output. The file's numbers: the standard method
(CBOE's gamma x open interest x 100 x S^2 x 1 %, calls + and puts -, every row) gives -1.08 bn USD per 1 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from spyglass.data.cboe import read_cboe_quotedata
from spyglass.options.chain import priced_chain
from spyglass.options.exposure import contract_exposures, dealer_exposures, gamma_profile
from spyglass.options.features import OptionsFeatureSpec, options_analytics
from spyglass.options.smile import SVI_PARAMS, svi_total_variance

RATE, DIVIDEND_YIELD = 0.04, 0.015  # conf/data/cboe.yaml


@pytest.fixture(scope="module")
def raw(spx_quotedata_rows) -> pd.DataFrame:
    return spx_quotedata_rows


@pytest.fixture(scope="module")
def chain(spx_quotedata) -> pl.DataFrame:
    return read_cboe_quotedata(spx_quotedata)


@pytest.fixture(scope="module")
def analytics(chain):
    return options_analytics(chain, RATE, DIVIDEND_YIELD, OptionsFeatureSpec())


@pytest.fixture(scope="module")
def at_cboe_ivs(chain) -> pl.DataFrame:
    """Every live row with CBOE's IV and open interest, valued by spyglass's kernels at CBOE's IV."""
    priced = priced_chain(chain, RATE, DIVIDEND_YIELD)
    rows = priced.filter((pl.col("t_years") > 0) & (pl.col("provider_iv") > 0) & (pl.col("open_interest") > 0))
    return contract_exposures(rows.with_columns(iv=pl.col("provider_iv")), RATE, DIVIDEND_YIELD)


def test_with_cboes_gammas_the_exposure_sum_is_the_standard_figure(raw, chain):
    spot = raw["spot"].iloc[0]
    expected = ((raw["Gamma"] * raw["Open Interest"] - raw["Gamma.1"] * raw["Open Interest.1"]) * 100 * spot**2
                * 0.01).sum()  # fmt: skip
    assert expected / 1e9 == pytest.approx(-1.08, abs=0.005)
    with_cboe_greeks = priced_chain(chain, RATE, DIVIDEND_YIELD).with_columns(
        gamma=pl.col("provider_gamma").fill_null(0.0), delta=0.0, vanna=0.0, charm=0.0,
        open_interest=pl.col("open_interest").fill_null(0.0),
    )  # fmt: skip
    total = dealer_exposures(with_cboe_greeks)["gex_usd_per_pct"].sum()
    assert total == pytest.approx(expected, rel=1e-9)


def test_put_call_ratios_count_both_roots(raw, analytics):
    features = analytics.features.row(0, named=True)
    oi = raw["Open Interest.1"].sum() / raw["Open Interest"].sum()
    volume = raw["Volume.1"].sum() / raw["Volume"].sum()
    assert (round(oi, 3), round(volume, 3)) == (1.749, 1.384)
    assert features["pcr_oi"] == pytest.approx(oi, rel=1e-12)
    assert features["pcr_volume"] == pytest.approx(volume, rel=1e-12)


def test_own_ivs_on_all_open_interest_agree_with_the_kernels_at_cboes_ivs(raw, analytics, at_cboe_ivs):
    features = analytics.features.row(0, named=True)
    reference = at_cboe_ivs["gex_usd_per_pct"].sum()
    assert reference < 0  # dealers short gamma
    assert features["gex_usd_per_pct"] == pytest.approx(reference, rel=0.25)
    spot = features["spot"]
    profile = gamma_profile(at_cboe_ivs, RATE, DIVIDEND_YIELD, OptionsFeatureSpec().relative_levels)
    assert abs(features["gamma_flip"] - profile.flips()[0]) < 0.005 * spot
    assert features["gamma_flip_crossings"] >= 1


def test_every_contract_with_open_interest_is_valued_and_the_shares_say_how(raw, analytics):
    features = analytics.features.row(0, named=True)
    shares = {source: features[f"oi_share_{source}"] for source in ("quote", "smile", "provider")}
    assert sum(shares.values()) == pytest.approx(1.0)  # nothing left unpriced on this file
    # Taken at 8:30 PM: a few two-sided quotes of the evening session; every other position is valued from its
    # expiry's smile, at least all those without a price of their own (no quote and no trade that day).
    live = pd.to_datetime(raw["Expiration Date"], format="%a %b %d %Y") > pd.Timestamp("2022-12-12")
    unpriced = 0.0
    for side in ("", ".1"):
        no_price = (raw[f"Bid{side}"] <= 0) & (raw[f"Ask{side}"] <= 0) & (raw[f"Volume{side}"] <= 0)
        unpriced += raw.loc[live & no_price, f"Open Interest{side}"].sum()
    total = raw.loc[live, "Open Interest"].sum() + raw.loc[live, "Open Interest.1"].sum()
    print(f"open interest valued from its own quote {shares['quote']:.1%}, from the smile {shares['smile']:.1%}; "
          f"without a price of its own {unpriced / total:.1%}")  # fmt: skip
    assert 0.25 < unpriced / total < 0.40  # about a third of the chain's positions never traded that day
    assert shares["smile"] >= unpriced / total and shares["quote"] < 0.1


def test_the_smile_tracks_cboes_ivs_where_the_positions_are(chain, analytics, at_cboe_ivs):
    """Contract by contract, weighted by gamma x open interest at CBOE's IVs: the expiry's smile against CBOE's IV."""
    key = ["snapshot_date", "root", "expiry"]
    rows = at_cboe_ivs.join(analytics.smiles, on=key)
    smile = np.sqrt(svi_total_variance(rows.select(SVI_PARAMS).to_numpy(), rows["log_moneyness"].to_numpy())
                    / rows["t_years"].to_numpy())  # fmt: skip
    gap = np.abs(smile - rows["provider_iv"].to_numpy()) * 100
    weight = (rows["gamma"] * rows["open_interest"]).to_numpy()
    order = np.argsort(gap)
    median = gap[order][np.searchsorted(np.cumsum(weight[order]) / weight.sum(), 0.5)]
    print(f"|smile - CBOE IV|, gamma x open interest weighted median: {median:.2f} vol points")
    assert median < 2.0


def test_am_settled_contracts_run_to_the_morning_settlement(chain):
    priced = priced_chain(chain, RATE, DIVIDEND_YIELD).filter(pl.col("expiry") == pl.date(2022, 12, 16))
    years = dict(priced.group_by("root").agg(pl.col("t_years").first()).iter_rows())
    assert years["SPXW"] == pytest.approx(4 / 365)
    assert years["SPXW"] - years["SPX"] == pytest.approx(6.5 / 24 / 365)
