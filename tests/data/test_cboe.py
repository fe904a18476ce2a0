"""CBOE's delayed-quote "quotedata" CSV read into option quotes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from spyglass.data.cboe import QuoteFileError, read_cboe_quotedata
from spyglass.schemas import OptionChainSchema, validate

SIDE = "Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest"
HEADER = f"""Standard & Poors 500 Index,Last: 4000.5,Change:  5.0
"Date: March 1, 2023 at 4:30 PM EST",Bid: 3999.0,Ask: 4001.0,Size: 1*1,Volume: 0
Expiration Date,Calls,{SIDE},Strike,Puts,{SIDE}
"""


def write(tmp_path, rows: list[str]):
    path = tmp_path / "quotedata.csv"
    path.write_text("---Example Data---\n" + HEADER + "\n".join(rows) + "\n")
    return path


def test_sides_header_and_missing_quotes(tmp_path):
    path = write(tmp_path, [
        "Fri Mar 17 2023,SPX230317C04000000,55.0,1,54.0,56.0,10,0.2,0.5,0.001,100,4000.00,SPX230317P04000000,"
        "50.0,-1,0,0,0,0,-0.5,0.001,200",
    ])  # fmt: skip
    chain = read_cboe_quotedata(path)
    validate(chain, OptionChainSchema, "test")
    call = chain.filter(pl.col("option_type") == "call").row(0, named=True)
    put = chain.filter(pl.col("option_type") == "put").row(0, named=True)
    assert call["snapshot_date"] == dt.date(2023, 3, 1) and call["expiry"] == dt.date(2023, 3, 17)
    assert call["underlying_price"] == 4000.5
    assert call["snapshot_time"] == dt.datetime(2023, 3, 1, 21, 30, tzinfo=dt.UTC)  # 4:30 PM EST in UTC
    assert (call["bid"], call["ask"], call["last"], call["open_interest"]) == (54.0, 56.0, 55.0, 100.0)
    assert call["last_trade_date"] == dt.date(2023, 3, 1)  # traded in the session
    assert put["bid"] is None and put["ask"] is None and put["provider_iv"] is None  # zero = no quote
    assert put["last"] == 50.0 and put["last_trade_date"] is None  # no volume today: when it traded is unknown


def test_two_roots_on_one_expiry_keep_the_one_with_more_open_interest(tmp_path):
    row = (
        "Fri Mar 17 2023,{root}230317C04000000,5,0,4,6,1,0.2,0.5,0.001,{oi},4000.00,"
        "{root}230317P04000000,5,0,4,6,1,0.2,-0.5,0.001,{oi}"
    )
    path = write(tmp_path, [row.format(root="SPX", oi=500), row.format(root="SPXW", oi=20)])
    chain = read_cboe_quotedata(path)
    assert chain.height == 2 and chain["open_interest"].to_list() == [500.0, 500.0]


def test_a_file_of_another_layout_is_named(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("date,close\n2023-01-03,3800\n")
    with pytest.raises(QuoteFileError, match=r"other\.csv: not a CBOE quotedata file"):
        read_cboe_quotedata(path)


def test_the_real_spx_file(spx_quotedata):
    chain = read_cboe_quotedata(spx_quotedata)
    assert chain["snapshot_date"].unique().to_list() == [dt.date(2022, 12, 12)]
    assert chain["expiry"].n_unique() == 51 and chain["underlying_price"][0] == pytest.approx(3990.5601)
    assert not chain.select("expiry", "option_type", "strike").is_duplicated().any()
