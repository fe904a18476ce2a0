"""Chain preparation: which price each contract gets, and what each cleaning rule drops."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from spyglass.options.black_scholes import bs_price
from spyglass.options.chain import CleaningRules, clean_chain, iv_status_counts, priced_chain
from spyglass.options.implied_vol import IVStatus

DAY = dt.date(2024, 5, 1)
EXPIRY = dt.date(2024, 6, 1)
FAIR = float(bs_price(100.0, 100.0, 31 / 365, 0.0, 0.0, 0.2, True))


def quote(**overrides) -> dict:
    row = {
        "snapshot_date": DAY, "snapshot_time": None, "expiry": EXPIRY, "option_type": "call", "strike": 100.0,
        "bid": FAIR - 0.05, "ask": FAIR + 0.05, "last": FAIR, "last_trade_date": DAY,
        "volume": 10.0, "open_interest": 50.0, "provider_iv": 0.0, "underlying_price": 100.0,
    }  # fmt: skip
    row.update(overrides)
    return row


CASES = {
    "good": quote(),
    "crossed_quote": quote(bid=FAIR + 0.1, ask=FAIR - 0.1),
    "no_price": quote(bid=0.0, ask=0.0, last=None),
    "last_fresh": quote(bid=0.0, ask=None, last=FAIR, last_trade_date=DAY - dt.timedelta(days=2)),
    "stale_trade": quote(bid=0.0, ask=0.0, last=FAIR, last_trade_date=DAY - dt.timedelta(days=20)),
    "zero_open_interest": quote(open_interest=0.0),
    "no_implied_vol": quote(strike=50.0, bid=10.0, ask=10.2, last=10.1),  # far below the intrinsic 50
    "absurd_iv": quote(bid=40.0, ask=40.2, last=40.1),  # a 31-day ATM call at 40% of spot: IV far above 3.0
}


@pytest.fixture(scope="module")
def priced() -> pl.DataFrame:
    chain = pl.DataFrame(list(CASES.values())).with_columns(case=pl.Series(list(CASES)))
    return priced_chain(chain, 0.0, 0.0)


def test_price_is_the_mid_else_the_last_trade_else_none(priced):
    by_case = {row["case"]: row for row in priced.iter_rows(named=True)}
    assert by_case["good"]["price"] == pytest.approx(FAIR) and by_case["good"]["price_source"] == "mid"
    assert by_case["last_fresh"]["price_source"] == "last" and by_case["last_fresh"]["price"] == pytest.approx(FAIR)
    assert by_case["no_price"]["price"] is None and by_case["no_price"]["price_source"] is None
    assert by_case["good"]["iv"] == pytest.approx(0.2, abs=1e-4)
    assert by_case["no_implied_vol"]["iv_status"] == IVStatus.BELOW_INTRINSIC


def test_each_rule_drops_exactly_its_case(priced):
    kept, dropped = clean_chain(priced, CleaningRules())
    assert sorted(kept["case"].to_list()) == ["good", "last_fresh"]
    assert dropped == {
        "crossed_quote": 1, "no_price": 1, "stale_trade": 1, "zero_open_interest": 1,
        "no_implied_vol": 1, "absurd_iv": 1,
    }  # fmt: skip


def test_rules_follow_their_thresholds(priced):
    lenient = CleaningRules(min_open_interest=0.0, max_trade_age_days=30, iv_bounds=(0.01, 10.0))
    kept, dropped = clean_chain(priced, lenient)
    assert {"stale_trade", "zero_open_interest", "absurd_iv"} <= set(kept["case"].to_list())
    assert dropped["stale_trade"] == dropped["zero_open_interest"] == dropped["absurd_iv"] == 0


def test_status_counts_name_the_reasons(priced):
    counts = iv_status_counts(priced.filter(pl.col("price").is_not_null()))
    assert counts["below_intrinsic"] == 1 and counts["ok"] >= 5
