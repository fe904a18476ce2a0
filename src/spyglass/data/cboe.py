"""CBOE's delayed-quote "quotedata" CSV (the download of cboe.com's delayed option quotes) as option quotes, and
`data=cboe`: one such file, or a directory of daily ones, as the snapshot history, with bars from a prices file
or Yahoo.

Layout: a preamble (the underlying's last price and the quote time, sometimes after a title line), then a column
header and one row per (expiry, strike) with the call and the put side by side:
    Standard & Poors 500 Index,Last: 3990.5601,Change:  56.1801
    "Date: December 12, 2022 at 8:30 PM EST",Bid: ...,Ask: ...,Size: ...,Volume: ...
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,...

The snapshot date and time come from the "Date:" line (US Eastern time, stored in UTC), the underlying price
from "Last:". The file does not say when each last sale happened: a contract that traded in the session
(volume > 0) gets the snapshot date as its last trade date, any other its last trade date missing, so the
stale-trade rule never prices it from an old trade. Zero bids, asks, IVs, deltas and gammas mean "no value" and
become missing; CBOE's IV, delta and gamma are kept as provider columns (spyglass computes its own).

Each row's root is the letters before the date in its option symbol (SPX, SPXW): on a third Friday SPX's
AM-settled monthly and SPXW's PM-settled weekly list the same strikes, and both are kept as the different
contracts they are (spyglass.options.chain times each to its settlement).

Every problem is one error naming the file and the line: a preamble without the price or the quote time, a
quote time in an unknown format, a missing column, a truncated row, an expiry or a number that does not parse.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData
from spyglass.data.csv import existing_file, read_prices_csv
from spyglass.data.files import read_csv_text
from spyglass.data.option_symbols import option_roots
from spyglass.data.simulated import window
from spyglass.data.vol_indices import read_indices
from spyglass.errors import UserError
from spyglass.schemas import OptionChainSchema, validate

EASTERN = "America/New_York"
SIDE_COLUMNS = {"Last Sale": "last", "Bid": "bid", "Ask": "ask", "Volume": "volume", "IV": "provider_iv",
                "Delta": "provider_delta", "Gamma": "provider_gamma", "Open Interest": "open_interest"}  # fmt: skip
NO_VALUE_WHEN_ZERO = ("bid", "ask", "last", "provider_iv", "provider_delta", "provider_gamma")
COLUMN_HEADER = "Expiration Date,"
MAX_PREAMBLE = 10
EXPIRY_FORMAT = "%a %b %d %Y"  # Fri Jan 20 2023
QUOTE_TIME = re.compile(r"Date:\s*([A-Za-z]+ \d{1,2}, \d{4}) at (\d{1,2}:\d{2} [AP]M)")


class QuoteFileError(UserError, ValueError):
    """The file is not in CBOE's quotedata layout; the message says what was expected and where."""


def _preamble(path: Path) -> tuple[int, float, pd.Timestamp]:
    """(lines before the column header, the underlying's last price, the quote time in New York)."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        head = [handle.readline() for _ in range(MAX_PREAMBLE)]
    header = next((i for i, line in enumerate(head) if line.startswith(COLUMN_HEADER)), None)
    if header is None:
        raise QuoteFileError(f"{path}: not a CBOE quotedata file (no '{COLUMN_HEADER}Calls,...' column header in "
                             f"its first {MAX_PREAMBLE} lines)")  # fmt: skip
    last = next((m for line in head[:header] if (m := re.search(r"Last:\s*([0-9][0-9,]*(?:\.[0-9]*)?)", line))), None)
    if last is None:
        raise QuoteFileError(f"{path}: no 'Last: <price>' of the underlying before the column header")
    line_number, date_line = next(((i + 1, line) for i, line in enumerate(head[:header]) if "Date:" in line),
                                  (None, None))  # fmt: skip
    stamp = QUOTE_TIME.search(date_line or "")
    if stamp is None:
        where = f"line {line_number} {date_line.strip()!r}" if date_line else "no 'Date:' line"
        raise QuoteFileError(f"{path}: unknown quote time format, {where} (expected e.g. 'Date: December 12, "
                             "2022 at 8:30 PM EST')")  # fmt: skip
    taken = pd.Timestamp(f"{stamp.group(1)} {stamp.group(2)}").tz_localize(EASTERN)
    return header, float(last.group(1).replace(",", "")), taken  # "Last: 3,990.5601": thousands separators


def read_cboe_quotedata(path: str | Path) -> pl.DataFrame:
    """The quotes of one quotedata file in the OptionChainSchema layout, validated (errors name file and line)."""
    path = Path(path)
    preamble, spot, taken = _preamble(path)
    text = read_csv_text(path, preamble_lines=preamble)
    names = [f"{name}{suffix}" for suffix in ("", ".1") for name in SIDE_COLUMNS]
    text.require(["Expiration Date", "Calls", "Strike", *names], "CBOE quotedata")
    expiry = text.dates("Expiration Date", EXPIRY_FORMAT)
    expired = expiry.dt.date < taken.date()
    if expired.any():
        raise QuoteFileError(f"{path}: its 'Date:' line says {taken.date()}, yet it lists {int(expired.sum())} "
                             f"row(s) of expiries before that day (earliest {expiry[expired].min():%Y-%m-%d}, line "
                             f"{text.lines[expired.to_numpy()][0]}): the quote time is wrong or the rows are of "
                             "another day")  # fmt: skip
    numbers = {name: text.numbers(name) for name in [*names, "Strike"]}
    root = option_roots(text.text("Calls"))
    snapshot_date = taken.date()
    sides = []
    for option_type, suffix in (("call", ""), ("put", ".1")):
        side = pd.DataFrame({target: numbers[f"{name}{suffix}"] for name, target in SIDE_COLUMNS.items()})
        side[list(NO_VALUE_WHEN_ZERO)] = side[list(NO_VALUE_WHEN_ZERO)].where(side[list(NO_VALUE_WHEN_ZERO)] != 0)
        side["last_trade_date"] = pd.Series(snapshot_date, index=side.index).where(side["volume"] > 0)
        sides.append(side.assign(option_type=option_type, strike=numbers["Strike"], expiry=expiry.dt.date, root=root))
    quotes = pd.concat(sides, ignore_index=True)
    chain = pl.from_pandas(quotes, nan_to_null=True).with_columns(
        snapshot_date=pl.lit(snapshot_date, dtype=pl.Date),
        snapshot_time=pl.lit(taken.tz_convert("UTC").to_pydatetime(), dtype=pl.Datetime("us", "UTC")),
        underlying_price=pl.lit(spot),
        expiry=pl.col("expiry").cast(pl.Date),
        last_trade_date=pl.col("last_trade_date").cast(pl.Date),
    )
    lines = pd.concat([pd.Series(text.lines)] * 2).to_numpy()
    return validate(chain.select(*OptionChainSchema.to_schema().columns), OptionChainSchema, path, lines)


def quote_files(path: str | Path) -> list[Path]:
    """The quotedata file at `path`, or every *.csv in the directory `path` (sorted by name)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (data.quotes_path)")
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"{path}: no *.csv quotedata files in the directory (data.quotes_path)")
    return files


def read_quote_files(path: str | Path) -> pl.DataFrame:
    """Every file's quotes, one snapshot per file; two files of the same day are refused, naming both."""
    chains, seen = [], {}
    for file in quote_files(path):
        chain = read_cboe_quotedata(file)
        day = chain["snapshot_date"][0]
        if day in seen:
            raise QuoteFileError(f"{seen[day]} and {file} are both quotes of {day}; keep one file per day")
        seen[day] = file
        chains.append(chain)
    return pl.concat(chains).sort("snapshot_date")


def load(data_cfg: dict, seed: int) -> MarketData:
    """CBOE quote files as the snapshots; bars from `prices_path` or, without one, Yahoo's `bars_ticker`."""
    del seed
    if not data_cfg.get("quotes_path"):
        raise FileNotFoundError("data=cboe needs data.quotes_path=<quotedata.csv or a directory of them>")
    chains = read_quote_files(data_cfg["quotes_path"])
    report: dict = {}
    if data_cfg.get("prices_path"):
        prices_file = existing_file(data_cfg["prices_path"], "prices_path")
        prices, bars_from = read_prices_csv(prices_file), str(prices_file)
    else:
        from spyglass.data.yfinance import yahoo_bars  # imported here: yfinance is needed only without a file

        _, prices, report = yahoo_bars({**data_cfg, "ticker": data_cfg["bars_ticker"]})
        bars_from = f"Yahoo {data_cfg['bars_ticker']}"
    indices = read_indices(data_cfg["indices_path"]) if data_cfg.get("indices_path") else None
    days = chains["snapshot_date"].unique().sort()
    span = f"{days[0]}" if len(days) == 1 else f"{len(days)} days {days[0]}..{days[-1]}"
    return MarketData(
        prices=window(prices, data_cfg.get("start"), data_cfg.get("end")),
        chains=chains,
        description=f"CBOE quote files {data_cfg['quotes_path']} ({span}), bars from {bars_from}",
        vol_indices=indices,
        report=report,
    )
