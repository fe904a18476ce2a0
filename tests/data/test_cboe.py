"""CBOE's delayed-quote "quotedata" CSV read into option quotes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

from spyglass.data.cboe import QuoteFileError, load, read_cboe_quotedata, read_quote_files
from spyglass.data.files import DataFileError
from spyglass.schemas import OptionChainSchema, validate

SIDE = "Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest"
HEADER = f"""Standard & Poors 500 Index,Last: 4000.5,Change:  5.0
"Date: March 1, 2023 at 4:30 PM EST",Bid: 3999.0,Ask: 4001.0,Size: 1*1,Volume: 0
Expiration Date,Calls,{SIDE},Strike,Puts,{SIDE}
"""


ROW = ("Fri Mar 17 2023,SPX230317C04000000,55.0,1,54.0,56.0,10,0.2,0.5,0.001,100,4000.00,SPX230317P04000000,"
       "50.0,-1,49.0,51.0,5,0.21,-0.5,0.001,200")  # fmt: skip


def write(tmp_path, rows: list[str], name: str = "quotedata.csv", header: str = HEADER):
    path = tmp_path / name
    path.write_text("---Example Data---\n" + header + "\n".join(rows) + "\n")
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
    assert (call["provider_iv"], call["provider_delta"], call["provider_gamma"]) == (0.2, 0.5, 0.001)
    assert put["provider_delta"] == -0.5


def test_two_roots_on_one_expiry_are_two_contracts(tmp_path):
    row = (
        "Fri Mar 17 2023,{root}230317C04000000,5,0,4,6,1,0.2,0.5,0.001,{oi},4000.00,"
        "{root}230317P04000000,5,0,4,6,1,0.2,-0.5,0.001,{oi}"
    )
    path = write(tmp_path, [row.format(root="SPX", oi=500), row.format(root="SPXW", oi=20)])
    chain = read_cboe_quotedata(path).sort("root", "option_type")
    assert chain["root"].to_list() == ["SPX", "SPX", "SPXW", "SPXW"]
    assert chain["open_interest"].to_list() == [500.0, 500.0, 20.0, 20.0]


def test_a_file_of_another_layout_is_named(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("date,close\n2023-01-03,3800\n")
    with pytest.raises(QuoteFileError, match=r"other\.csv: not a CBOE quotedata file"):
        read_cboe_quotedata(path)


def test_the_real_spx_file(spx_quotedata):
    chain = read_cboe_quotedata(spx_quotedata)
    assert chain["snapshot_date"].unique().to_list() == [dt.date(2022, 12, 12)]
    assert chain["expiry"].n_unique() == 51 and chain["underlying_price"][0] == pytest.approx(3990.5601)
    raw = pd.read_csv(spx_quotedata, skiprows=3)
    assert chain.height == 2 * len(raw)  # every row, both roots: a call and a put each
    assert set(chain["root"]) == {"SPX", "SPXW"}
    assert not chain.select("root", "expiry", "option_type", "strike").is_duplicated().any()


@pytest.mark.parametrize(
    ("rows", "header", "expected"),
    [
        ([ROW, ROW.rsplit(",", 3)[0]], HEADER,
         r"quotedata\.csv: 1 row\(s\) with fewer fields than the header's 22 \(a truncated file\?\): line 6 'Fri Mar"),
        ([ROW.replace("Fri Mar 17 2023", "2023-03-17")], HEADER,
         r"column 'Expiration Date' has 1 date\(s\) that do not parse \(expected '%a %b %d %Y'\): line 5 '2023-03-17'"),
        ([ROW.replace(",55.0,", ",5x,")], HEADER,
         r"column 'Last Sale' has 1 value\(s\) that are not numbers: line 5 '5x'"),
        ([ROW], HEADER.replace("March 1, 2023 at 4:30 PM", "2023-03-01 16:30"),
         r"unknown quote time format, line 3 '\"Date: 2023-03-01 16:30 EST\""),
        ([ROW], HEADER.replace(",IV,Delta", ",IV,Delt"), r"missing column\(s\) Delta, Delta\.1 for CBOE quotedata"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_error_naming_the_file_and_the_line(tmp_path, rows, header, expected):
    with pytest.raises((QuoteFileError, DataFileError), match=expected):
        read_cboe_quotedata(write(tmp_path, rows, header=header))


def test_a_directory_of_daily_files_is_one_snapshot_per_file_and_a_day_twice_is_refused(tmp_path):
    write(tmp_path, [ROW], "2023-03-01.csv")
    write(tmp_path, [ROW.replace("55.0,1,54.0", "57.0,1,56.0")], "2023-03-02.csv",
          HEADER.replace("March 1, 2023", "March 2, 2023"))  # fmt: skip
    chains = read_quote_files(tmp_path)
    assert chains["snapshot_date"].unique().to_list() == [dt.date(2023, 3, 1), dt.date(2023, 3, 2)]
    write(tmp_path, [ROW], "again.csv")
    with pytest.raises(QuoteFileError, match=r"2023-03-01\.csv and .*again\.csv are both quotes of 2023-03-01"):
        read_quote_files(tmp_path)


def test_the_source_takes_bars_from_a_file_or_from_yahoo(tmp_path, monkeypatch):
    from helpers import good_prices
    from spyglass.data import yfinance
    from yahoo_recordings import RecordedYahoo, yahoo_history

    quotes = write(tmp_path, [ROW])
    bars = good_prices(30).assign(date=pd.bdate_range(end="2023-03-01", periods=30))
    bars.to_csv(tmp_path / "bars.csv", index=False)
    cfg = {"quotes_path": str(quotes), "prices_path": str(tmp_path / "bars.csv"), "start": None, "end": None}
    market = load(cfg, seed=0)
    assert market.prices["date"].iloc[-1] == pd.Timestamp("2023-03-01") and market.chains.height == 2
    assert "bars from" in market.description and "bars.csv" in market.description

    client = RecordedYahoo(indices={"^GSPC": yahoo_history(bars)})
    monkeypatch.setattr(yfinance, "YFinanceClient", lambda: client)
    market = load(cfg | {"prices_path": None, "bars_ticker": "^GSPC", "retry": {"base_delay": 0.0}}, seed=0)
    assert client.calls == ["history ^GSPC"] and len(market.prices) == 30
    assert market.description.endswith("bars from Yahoo ^GSPC")


def spx_bars(days: int = 30) -> pd.DataFrame:
    """Bars around SPX's 4,000 ending on the quote file's day, 2023-03-01."""
    from helpers import good_prices

    bars = good_prices(days).assign(date=pd.bdate_range(end="2023-03-01", periods=days))
    return bars.assign(**{c: bars[c] * 38.5 for c in ("open", "high", "low", "close", "adj_close")})


def every_file(folder) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fetch_good_file(repo_root, monkeypatch, tmp_path) -> tuple:
    """Run the fetch stage on a good quote file and bars around SPX's price; (the quote file, the stage's
    overrides, every file the stage left under its output folder)."""
    from helpers import run_stage_script, stage_paths

    quotes = write(tmp_path, [ROW])
    spx_bars().to_csv(tmp_path / "bars.csv", index=False)
    out = tmp_path / "out"
    overrides = ["data=cboe", f"data.quotes_path={quotes}", f"data.prices_path={tmp_path / 'bars.csv'}",
                 "checks.min_rows=20", *stage_paths(out)]  # fmt: skip
    run_stage_script(repo_root, monkeypatch, "fetch", overrides)
    return quotes, overrides, every_file(out)


def test_the_fetch_stage_files_a_good_file_and_a_bad_one_changes_nothing(repo_root, monkeypatch, tmp_path, caplog):
    import logging

    from helpers import run_stage_script

    quotes, overrides, before = fetch_good_file(repo_root, monkeypatch, tmp_path)
    assert any("archive/options/SPX/snapshot_date=2023-03-01" in str(p) for p in before)  # the ticker's part
    write(tmp_path, [ROW, ROW.rsplit(",", 3)[0]])
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exit_info:
        run_stage_script(repo_root, monkeypatch, "fetch", overrides)
    assert exit_info.value.code == 1
    assert f"fetch failed: {quotes}: 1 row(s) with fewer fields than the header's 22" in caplog.text
    assert every_file(tmp_path / "out") == before


def test_a_preamble_price_with_thousands_separators_reads_whole(tmp_path):
    path = write(tmp_path, [ROW], header=HEADER.replace("Last: 4000.5", "Last: 3,990.5601"))
    assert read_cboe_quotedata(path)["underlying_price"].unique().to_list() == [3990.5601]


@pytest.mark.parametrize(("last", "shown"), [("39,905.6", "39,905.60"), ("3.0", "3.00")])
def test_a_chain_whose_spot_is_not_the_days_price_is_refused_and_nothing_is_filed(repo_root, monkeypatch, tmp_path,
                                                                                 caplog, last, shown):  # fmt: skip
    import logging

    from helpers import run_stage_script

    _, overrides, before = fetch_good_file(repo_root, monkeypatch, tmp_path)
    write(tmp_path, [ROW], header=HEADER.replace("Last: 4000.5", f"Last: {last}"))
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        run_stage_script(repo_root, monkeypatch, "fetch", overrides)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].startswith("fetch failed: data=cboe option chains: 1 option snapshot(s) whose underlying price "
                                f"lies outside the day's bar range (widened by checks.spot_tolerance 0.02): "
                                f"2023-03-01 spot {shown} against the bar's ")  # fmt: skip
    assert every_file(tmp_path / "out") == before


def test_a_file_whose_quote_date_is_after_its_expiries_says_so(tmp_path):
    path = write(tmp_path, [ROW], header=HEADER.replace("March 1, 2023", "March 20, 2023"))
    with pytest.raises(QuoteFileError, match=r"its 'Date:' line says 2023-03-20, yet it lists 1 row\(s\) of expiries "
                                             r"before that day \(earliest 2023-03-17, line 5\)"):  # fmt: skip
        read_cboe_quotedata(path)


def test_a_missing_prices_file_names_its_key(tmp_path):
    quotes = write(tmp_path, [ROW])
    with pytest.raises(FileNotFoundError, match=r"nope.csv: not found \(data.prices_path\)"):
        load({"quotes_path": str(quotes), "prices_path": str(tmp_path / "nope.csv"), "start": None, "end": None}, 0)
