"""Valuing every contract with open interest: its own quote, else its expiry's smile, else the provider's IV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from spyglass.options.black_scholes import bs_price
from spyglass.options.chain import CleaningRules, priced_chain
from spyglass.options.smile import svi_total_variance
from spyglass.options.valuation import SmileSpec, open_interest_coverage, valuation_summary, value_open_interest

R, Q, SPOT = 0.03, 0.01, 100.0
DAY = dt.date(2024, 3, 1)
STRIKES = np.arange(87.5, 113.0, 2.5)  # each with a price of at least a cent either side
RULES, SPEC = CleaningRules(), SmileSpec(min_quotes=5)


SMILE = np.array([0.02, 0.1, -0.6, 0.05, 0.1])  # raw SVI of annual variance: a, b, rho, m, sigma


def surface(x: float) -> float:
    """The true smile, the same IV at every expiry: a put skew (SVI, so a smile can match it exactly)."""
    return float(np.sqrt(svi_total_variance(SMILE, x)))


def contract(days: int, option_type: str, strike: float, **overrides) -> dict:
    """One quote whose bid and ask are the true price (a one-cent-wide market) at spot SPOT."""
    t = days / 365.0
    iv = surface(np.log(strike / (SPOT * np.exp((R - Q) * t))))
    price = float(bs_price(SPOT, strike, t, R, Q, iv, option_type == "call"))
    row = {
        "snapshot_date": DAY, "snapshot_time": None, "expiry": DAY + dt.timedelta(days=days),
        "option_type": option_type, "strike": float(strike), "bid": price - 0.005, "ask": price + 0.005,
        "last": price, "last_trade_date": DAY, "volume": 10.0, "open_interest": 100.0, "provider_iv": None,
        "underlying_price": SPOT,
    }  # fmt: skip
    return {**row, **overrides}


def true_iv(days: int, strike: float) -> float:
    return surface(np.log(strike / (SPOT * np.exp((R - Q) * days / 365.0))))


def stale_last(days: int, option_type: str, strike: float, traded_at: float) -> float:
    """The price the contract last traded at when spot was `traded_at` (earlier in the session)."""
    t = days / 365.0
    return float(bs_price(traded_at, strike, t, R, Q, true_iv(days, strike), option_type == "call"))


NO_QUOTE = {"bid": None, "ask": None}


def chain() -> pl.DataFrame:
    rows = [contract(30, side, k) for side in ("call", "put") for k in STRIKES]
    # 30 days: positions without a usable quote of their own
    rows = [r for r in rows if not (r["option_type"] == "put" and r["strike"] in (90.0, 110.0))]
    rows.append(contract(30, "put", 90.0, **NO_QUOTE, last=stale_last(30, "put", 90.0, 98.0), open_interest=500.0))
    rows.append(contract(30, "put", 110.0, **NO_QUOTE, last=None, last_trade_date=None, open_interest=700.0))
    # 60 days: three quotes only (too few for a smile); the provider has IVs for every contract
    rows += [contract(60, "call", k, provider_iv=0.25) for k in (95.0, 100.0, 105.0)]
    rows += [contract(60, "put", k, **NO_QUOTE, last=None, provider_iv=0.3, open_interest=200.0) for k in (90.0, 95.0)]
    # 90 days: three quotes and nothing else: the unquoted contract stays unpriced
    rows += [contract(90, "call", k) for k in (95.0, 100.0, 105.0)]
    rows.append(contract(90, "put", 95.0, **NO_QUOTE, last=None, open_interest=50.0))
    # no position: not valued at all
    rows.append(contract(90, "put", 80.0, **NO_QUOTE, last=None, open_interest=0.0))
    return pl.DataFrame(rows, schema_overrides={"provider_iv": pl.Float64, "last": pl.Float64})


@pytest.fixture(scope="module")
def valued() -> tuple[pl.DataFrame, pl.DataFrame]:
    return value_open_interest(priced_chain(chain(), R, Q), RULES, SPEC)


def row_of(frame: pl.DataFrame, days: int, option_type: str, strike: float) -> dict:
    expiry = DAY + dt.timedelta(days=days)
    found = frame.filter((pl.col("expiry") == expiry) & (pl.col("option_type") == option_type)
                         & (pl.col("strike") == strike))  # fmt: skip
    assert found.height == 1
    return found.row(0, named=True)


def test_a_contract_with_its_own_two_sided_quote_is_valued_at_it(valued):
    positions, _ = valued
    for option_type, strike in (("call", 100.0), ("put", 87.5), ("call", 112.5)):
        row = row_of(positions, 30, option_type, strike)
        assert row["iv_source"] == "quote"
        assert row["iv"] == pytest.approx(true_iv(30, strike), abs=2e-3)  # the one-cent spread


def test_a_contract_without_a_usable_quote_takes_its_expirys_smile(valued):
    positions, smiles = valued
    assert smiles.height == 1 and smiles.row(0, named=True)["expiry"] == DAY + dt.timedelta(days=30)
    stale = row_of(positions, 30, "put", 90.0)  # its last trade, struck with spot at 98, is not its value
    unquoted = row_of(positions, 30, "put", 110.0)
    assert stale["iv_source"] == unquoted["iv_source"] == "smile"
    assert stale["iv"] == pytest.approx(true_iv(30, 90.0), abs=5e-3)
    assert unquoted["iv"] == pytest.approx(true_iv(30, 110.0), abs=2e-3)
    stale_iv = priced_chain(chain(), R, Q).filter((pl.col("strike") == 90.0) & (pl.col("option_type") == "put")
                                                  & (pl.col("t_years") < 0.1))["iv"][0]  # fmt: skip
    assert stale_iv - true_iv(30, 90.0) > 0.03  # what valuing it at its last trade would have used


def test_an_expiry_too_thin_for_a_smile_falls_back_to_the_provider_then_to_nothing(valued):
    positions, _ = valued
    assert row_of(positions, 60, "call", 100.0)["iv_source"] == "quote"  # its own quote still comes first
    provider = row_of(positions, 60, "put", 90.0)
    assert provider["iv_source"] == "provider" and provider["iv"] == 0.3
    unpriced = row_of(positions, 90, "put", 95.0)
    assert unpriced["iv_source"] is None and unpriced["iv"] is None
    assert positions.filter(pl.col("open_interest") < RULES.min_open_interest).is_empty()  # no position, no row


def test_the_coverage_shares_are_the_open_interest_by_source(valued):
    positions, smiles = valued
    oi = {source: positions.filter(pl.col("iv_source").eq_missing(source))["open_interest"].sum()
          for source in ("quote", "smile", "provider", None)}  # fmt: skip
    total = sum(oi.values())
    assert (oi["smile"], oi["provider"], oi[None]) == (1200.0, 400.0, 50.0)
    shares = open_interest_coverage(positions).row(0, named=True)
    for source in ("quote", "smile", "provider"):
        assert shares[f"oi_share_{source}"] == pytest.approx(oi[source] / total, rel=1e-12)
    summary = valuation_summary(positions, smiles)
    assert summary["open_interest_share"]["unpriced"] == pytest.approx(50.0 / total, abs=1e-6)
    assert (summary["expiries_with_positions"], summary["smiles_fitted"]) == (3, 1)
