"""Taking in the configured source's data, shared by the fetch stage and the daily run: load it, check its bars,
and file a real source's option chains in the snapshot archive as soon as they are valid.

A day's chain can never be fetched again, so bars that fail must not take it with them: chains that arrived are
filed (dated on trading days when the bars are valid) before the bars' error is raised, and the error says so.
A session whose bar was dropped as still forming (no prices yet) keeps its chain: it is filed under that day.
Nothing else is written here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import polars as pl

from spyglass.data import MarketData, load_market_data, snapshot_provenance
from spyglass.data.archive import adopt_store, file_snapshots
from spyglass.data.checks import BarChecks, check_bars, check_snapshot_dates, check_snapshot_spots
from spyglass.data.yahoo import FetchError
from spyglass.data.yfinance import BarsFailedError
from spyglass.schemas import DataValidationError, OptionChainSchema, PricesSchema, validate


@dataclass
class Intake:
    """The loaded data, its validated bars, and what was filed in the archive (`archived`: the chains are real
    and were filed; a simulated source's are not)."""

    market: MarketData
    prices: pd.DataFrame
    filed: dict = field(default_factory=lambda: {"snapshots_written": 0, "snapshots_kept": {}})
    archived: bool = False


def chains_were_stored(exc: DataValidationError) -> DataValidationError:
    """The error, saying that the day's chains were stored before it."""
    return DataValidationError(f"{exc}\n(the option chains were valid and are stored)")


def take_in(cfg: dict, run_date: dt.date, root: str | Path = ".") -> Intake:
    """Load `cfg["data"]`'s source, validate and check its bars (as of `run_date`), and file a real source's
    chains in the archive under `root` (after adopting store partitions the archive lacks)."""
    data_cfg, paths = cfg["data"], cfg["paths"]
    label = f"data={data_cfg['source']}"
    provenance = snapshot_provenance(data_cfg)
    archive = Path(root) / paths["snapshot_archive"] if provenance is not None and not provenance.simulated else None
    replace = bool(data_cfg.get("replace_snapshots"))

    checks = BarChecks.from_config(cfg["checks"])

    def file(chains: pl.DataFrame, prices: pd.DataFrame | None = None, partial: list | None = None) -> dict:
        chains = validate(chains, OptionChainSchema, f"{label} option chains")
        if prices is not None:  # a session whose bar was dropped as still forming is a trading day too
            sessions = pd.concat([prices["date"], pd.Series(pd.to_datetime(partial or []))], ignore_index=True)
            check_snapshot_dates(chains, sessions, f"{label} option chains")
            check_snapshot_spots(chains, prices, checks.spot_tolerance, f"{label} option chains")
        return file_snapshots(chains, archive, provenance, replace)

    if archive is not None:
        adopt_store(Path(root) / paths["options_store"], archive, provenance)
    try:
        market = load_market_data(data_cfg, int(cfg["seed"]))
    except BarsFailedError as exc:
        if exc.chains is None or archive is None:
            raise
        raise FetchError(f"{exc} (the option chains arrived and were stored: {file(exc.chains)})") from exc
    try:
        prices = validate(market.prices, PricesSchema, f"{label} prices")
        check_bars(prices, checks, run_date, f"{label} prices")
    except DataValidationError as exc:
        if market.chains is not None and archive is not None:
            file(market.chains)
            raise chains_were_stored(exc) from None
        raise
    if market.chains is None or archive is None:
        return Intake(market, prices)
    return Intake(market, prices, file(market.chains, prices, market.report.get("bars_dropped")), archived=True)
