"""Recorded Yahoo answers: replay them instead of the network (`data.replay_dir`), or record live ones
(`data.record_dir`), so the live code path runs offline, byte for byte the same each time.

Layout of a recording (answers are stored as yfinance returned them, before any cleaning):
    history/<TICKER>.parquet                   Ticker.history(auto_adjust=False): tz-aware Date index, Open ...
    chains/<YYYY-MM-DD>/<TICKER>/answer.json   {"quote_time": ISO UTC, "expiries": [...], "underlying": {...}}
    chains/<YYYY-MM-DD>/<TICKER>/<expiry>.calls.parquet, <expiry>.puts.parquet
A replay answers history for any [start, end] inside the recording, and the chains of every recorded day; an
expiry listed without files answers like Yahoo for a vanished expiry (ValueError). A folder under chains/ that is
not a YYYY-MM-DD day is named in a warning and ignored; a recorded file that cannot be read (truncated, not
parquet or JSON) is a FetchError naming it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import namedtuple
from pathlib import Path

import pandas as pd

from spyglass.data.yahoo import FetchError, YahooClient
from spyglass.io import write_parquet, write_text

log = logging.getLogger(__name__)
Options = namedtuple("Options", ["calls", "puts", "underlying"])  # the shape of yfinance's option_chain


def _recorded(path: Path, read):
    """`read(path)`, or a FetchError naming the damaged recording."""
    try:
        return read(path)
    except Exception as exc:  # pyarrow and json raise many kinds for a truncated or foreign file
        reason = " ".join(f"{exc}".split())[:160]
        raise FetchError(f"{path}: the recording cannot be read ({type(exc).__name__}: {reason}); record it "
                         "again or remove it") from None  # fmt: skip


def _day(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(name) if len(name) == 10 else None
    except ValueError:
        return None


def history_path(root: str | Path, ticker: str) -> Path:
    return Path(root) / "history" / f"{ticker}.parquet"


def chain_dir(root: str | Path, day: dt.date, ticker: str) -> Path:
    return Path(root) / "chains" / f"{day:%Y-%m-%d}" / ticker


def write_history(root: str | Path, ticker: str, frame: pd.DataFrame) -> Path:
    """Record a history answer."""
    return write_parquet(frame.reset_index(), history_path(root, ticker))


def write_chain_side(
    root: str | Path, day: dt.date, ticker: str, expiry: str, calls: pd.DataFrame, puts: pd.DataFrame
) -> None:
    """Record the calls and puts of one expiry."""
    directory = chain_dir(root, day, ticker)
    write_parquet(calls, directory / f"{expiry}.calls.parquet")
    write_parquet(puts, directory / f"{expiry}.puts.parquet")


def write_chain_answer(
    root: str | Path, day: dt.date, ticker: str, expiries: list[str], underlying: dict | None, quote_time: dt.datetime
) -> Path:
    """Record one day's listed expiries, the underlying's quote and when the chains were quoted."""
    answer = {"quote_time": quote_time.isoformat(), "expiries": list(expiries), "underlying": underlying}
    return write_text(json.dumps(answer, indent=1, default=str) + "\n", chain_dir(root, day, ticker) / "answer.json")


class ReplayClient:
    """A YahooClient answering from a recording directory."""

    def __init__(self, root: str | Path, day: dt.date | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: no such replay directory (data.replay_dir)")
        self.day = day

    def recorded_days(self, ticker: str) -> list[dt.date]:
        """Every day with a recorded chain answer for `ticker`, oldest first."""
        folders = [path.parent.parent for path in (self.root / "chains").glob(f"*/{ticker}/answer.json")]
        strays = sorted(str(folder) for folder in folders if _day(folder.name) is None)
        if strays:
            log.warning("ignoring recording folder(s) that are not a YYYY-MM-DD day: %s", ", ".join(strays))
        return sorted(day for folder in folders if (day := _day(folder.name)) is not None)

    def on(self, day: dt.date) -> ReplayClient:
        return ReplayClient(self.root, day)

    def history(self, ticker: str, start: str | None, end: str | None) -> pd.DataFrame:
        path = history_path(self.root, ticker)
        if not path.exists():
            raise FetchError(f"{ticker}: no recorded history in {self.root}")
        frame = _recorded(path, pd.read_parquet)
        frame = frame.set_index(frame.columns[0])
        dates = frame.index.tz_localize(None) if frame.index.tz is not None else frame.index
        keep = (dates >= pd.Timestamp(start or dates.min())) & (dates <= pd.Timestamp(end or dates.max()))
        return frame.loc[keep]

    def _answer(self, ticker: str) -> dict:
        if self.day is None:
            raise FetchError("a replay answers chains only for a recorded day (call on(day) first)")
        path = chain_dir(self.root, self.day, ticker) / "answer.json"
        if not path.exists():
            raise FetchError(f"{ticker}: no recorded chains on {self.day} in {self.root}")
        return _recorded(path, lambda p: json.loads(p.read_text()))

    def expiries(self, ticker: str) -> tuple[str, ...]:
        return tuple(self._answer(ticker)["expiries"])

    def option_chain(self, ticker: str, expiry: str) -> Options:
        underlying = self._answer(ticker)["underlying"]
        directory = chain_dir(self.root, self.day, ticker)
        calls, puts = directory / f"{expiry}.calls.parquet", directory / f"{expiry}.puts.parquet"
        if not calls.exists():
            raise ValueError(f"Expiration `{expiry}` cannot be found. Recorded expiries are elsewhere.")
        return Options(_recorded(calls, pd.read_parquet), _recorded(puts, pd.read_parquet) if puts.exists() else None,
                       underlying)  # fmt: skip

    def quote_time(self, ticker: str) -> dt.datetime:
        return dt.datetime.fromisoformat(self._answer(ticker)["quote_time"])


class RecordingClient:
    """A YahooClient that passes every call to `inner` and records its answers under `root` (for replay)."""

    def __init__(self, inner: YahooClient, root: str | Path, day: dt.date | None = None) -> None:
        self.inner, self.root, self.day = inner, Path(root), day
        self._expiries: dict[str, tuple[str, ...]] = {}
        self._underlying: dict[str, dict | None] = {}
        self._times: dict[str, dt.datetime] = {}

    def on(self, day: dt.date) -> RecordingClient:
        return RecordingClient(self.inner.on(day), self.root, day)

    def history(self, ticker: str, start: str | None, end: str | None) -> pd.DataFrame:
        frame = self.inner.history(ticker, start, end)
        if frame is not None and not frame.empty:
            write_history(self.root, ticker, frame)
        return frame

    def expiries(self, ticker: str) -> tuple[str, ...]:
        self._expiries[ticker] = self.inner.expiries(ticker)
        self._save_answer(ticker)
        return self._expiries[ticker]

    def option_chain(self, ticker: str, expiry: str):
        payload = self.inner.option_chain(ticker, expiry)
        if self.day is not None and payload.calls is not None and payload.puts is not None:
            write_chain_side(self.root, self.day, ticker, expiry, payload.calls, payload.puts)
        self._underlying[ticker] = payload.underlying
        self._save_answer(ticker)
        return payload

    def quote_time(self, ticker: str) -> dt.datetime:
        return self._times.setdefault(ticker, self.inner.quote_time(ticker))

    def _save_answer(self, ticker: str) -> None:
        if self.day is not None:
            expiries = list(self._expiries.get(ticker, ()))
            write_chain_answer(
                self.root, self.day, ticker, expiries, self._underlying.get(ticker), self.quote_time(ticker)
            )
