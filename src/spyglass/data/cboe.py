"""CBOE's delayed-quote "quotedata" CSV (the download of cboe.com's delayed option quotes) as option quotes.

Layout: three header lines, then a column header and one row per (expiry, strike) with the call and the put
side by side:
    <index name>,Last: 3990.5601,Change: 56.1801
    "Date: December 12, 2022 at 8:30 PM EST",Bid: ...,Ask: ...,Size: ...,Volume: ...
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,...

The snapshot date and time come from the "Date:" line (US Eastern time, stored in UTC), the underlying price
from "Last:". The file does not say when each last sale happened: a contract that traded in the session
(volume > 0) gets the snapshot date as its last trade date, any other its last trade date missing, so the
stale-trade rule never prices it from an old trade. Zero bids, asks and IVs mean "no quote" and become missing.

Where one expiry lists two roots with the same strikes (SPX's AM-settled monthly and SPXW's PM-settled weekly
on the third Friday), a quote is no longer unique by (expiry, type, strike): the root with the larger open
interest on that expiry is kept (the standard monthly, in practice) and the other's quotes are dropped with a
log line.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.errors import UserError
from spyglass.schemas import OptionChainSchema, validate

log = logging.getLogger(__name__)
EASTERN = "America/New_York"
SIDE_COLUMNS = {"Last Sale": "last", "Bid": "bid", "Ask": "ask", "Volume": "volume", "IV": "provider_iv",
                "Open Interest": "open_interest"}  # fmt: skip
HEADER_LINES = 3


class QuoteFileError(UserError, ValueError):
    """The file is not in CBOE's quotedata layout; the message says what was expected."""


def _header(path: Path) -> tuple[float, pd.Timestamp]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        lines = [next(csv.reader([handle.readline()])) for _ in range(HEADER_LINES)]
    text = " ".join(",".join(line) for line in lines)
    last = re.search(r"Last:\s*([0-9.]+)", text)
    stamp = re.search(r"Date:\s*([A-Za-z]+ \d{1,2}, \d{4}) at (\d{1,2}:\d{2} [AP]M)", text)
    if not (last and stamp):
        raise QuoteFileError(
            f"{path}: not a CBOE quotedata file (expected 'Last: <price>' and 'Date: <Month D, YYYY> at <h:mm AM>' "
            "in its first three lines)"
        )
    return float(last.group(1)), pd.Timestamp(f"{stamp.group(1)} {stamp.group(2)}").tz_localize(EASTERN)


def _one_root_per_expiry(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    root = raw["Calls"].astype(str).str.extract(r"^([A-Za-z]+)", expand=False)
    open_interest = raw["Open Interest"].astype(float) + raw["Open Interest.1"].astype(float)
    by_root = open_interest.groupby([raw["expiry"], root]).sum().rename("oi").reset_index()
    main = by_root.sort_values(["expiry", "oi", "Calls"], ascending=[True, False, True]).drop_duplicates("expiry")
    keep = pd.MultiIndex.from_arrays([raw["expiry"], root]).isin(pd.MultiIndex.from_frame(main[["expiry", "Calls"]]))
    if not keep.all():
        log.info("%s: kept one root per expiry; dropped %d strikes of the smaller root", path, int((~keep).sum()))
    return raw.loc[keep].reset_index(drop=True)


def read_cboe_quotedata(path: str | Path) -> pl.DataFrame:
    """The quotes of one quotedata file in the OptionChainSchema layout, validated (errors name the file)."""
    path = Path(path)
    spot, taken = _header(path)
    snapshot_date = taken.date()
    raw = pd.read_csv(path, skiprows=HEADER_LINES)
    missing = [c for c in ("Expiration Date", "Calls", "Strike", *SIDE_COLUMNS) if c not in raw]
    if missing:
        raise QuoteFileError(f"{path}: missing quotedata column(s) {missing}")
    expiry = pd.to_datetime(raw["Expiration Date"], format="%a %b %d %Y", errors="coerce")
    if expiry.isna().any():
        bad = raw.loc[expiry.isna(), "Expiration Date"].head(3).tolist()
        raise QuoteFileError(f"{path}: unreadable expiration date(s) {bad} (expected e.g. 'Fri Jan 20 2023')")
    raw = _one_root_per_expiry(raw.assign(expiry=expiry.dt.date), path)
    sides = []
    for option_type, suffix in (("call", ""), ("put", ".1")):
        columns = {f"{name}{suffix}": target for name, target in SIDE_COLUMNS.items()}
        side = raw[list(columns)].rename(columns=columns).astype(float)
        quoted = side[["bid", "ask", "last", "provider_iv"]]
        side[quoted.columns] = quoted.where(quoted > 0)
        side["last_trade_date"] = pd.Series(snapshot_date, index=side.index).where(side["volume"] > 0)
        sides.append(side.assign(option_type=option_type, strike=raw["Strike"].astype(float), expiry=raw["expiry"]))
    quotes = pd.concat(sides, ignore_index=True)
    chain = pl.from_pandas(quotes, nan_to_null=True).with_columns(
        snapshot_date=pl.lit(snapshot_date, dtype=pl.Date),
        snapshot_time=pl.lit(taken.tz_convert("UTC").to_pydatetime(), dtype=pl.Datetime("us", "UTC")),
        underlying_price=pl.lit(spot),
        expiry=pl.col("expiry").cast(pl.Date),
        last_trade_date=pl.col("last_trade_date").cast(pl.Date),
    )
    return validate(chain.select(*OptionChainSchema.to_schema().columns), OptionChainSchema, path)
