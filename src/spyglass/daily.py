"""The daily run: take in today's data through the configured source (a real source's chains are filed in the
snapshot archive, and the store mirrors it), score it with the saved models (no retraining), size the position
with the pipeline's `get_allocations`, record the day in the signal journal, fill earlier days' outcomes, and
print the signal and the forward record.

    spyglass-daily [Hydra overrides]      (or `make daily`)

The journal (`paths.journal`) is read first: a damaged one stops the run before anything is written. The run
holds the ticker's writer lock (spyglass.writer_lock) from that read to the last write, so two runs at once
(cron and a run by hand) take turns and both are counted. A live
source (Yahoo) is asked only on a trading session of `daily.calendar`: on a weekend or holiday the run does
nothing and says so, and before the close it refuses to record a partial day unless `daily.allow_partial`
(the row is then flagged `partial_day`). The forward record goes to `metrics/journal.json`, beside the
backtest's figures for comparison. On the offline sources the as-of date is the data's last bar; a simulated
source whose config is the one the fetch stage ran with is read back as stored (spyglass.data.stored) instead of
simulated again.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from spyglass.config import config_hash, to_plain
from spyglass.data import MarketData, answers_today
from spyglass.data.archive import mirror_archive
from spyglass.data.intake import take_in
from spyglass.data.stored import stored_latest_day
from spyglass.errors import UserError
from spyglass.features.targets import daily_risk_free
from spyglass.io import write_json
from spyglass.journal import (
    check_no_future_rows,
    fill_realised,
    forward_record,
    read_journal,
    record_day,
    write_journal,
)
from spyglass.live import ScoredDay, score_latest_day
from spyglass.models.registry import model_fingerprints
from spyglass.sessions import NEW_YORK, SessionDay, session_day
from spyglass.writer_lock import exclusive_writer


class PartialDayError(UserError):
    """A live run before the session's close, without `daily.allow_partial`."""


@dataclass
class DailyRun:
    """What one daily run did: "recorded" a new day, noted a "rerun" of a recorded one (the row and the forward
    record), or nothing because the exchange was "closed" (`message` says why)."""

    status: str  # "recorded" | "rerun" | "closed"
    row: dict | None = None
    record: dict | None = None
    message: str = ""


def market_flags(market: MarketData, day: pd.Timestamp, partial_day: bool = False) -> str:
    """Comma-joined: "partial_day" (recorded before the close), "partial_chain" (expiries of the day's chain
    were skipped), "dropped_bars" (bars without prices were dropped)."""
    report = market.report
    chain = report.get("chains", {}).get(f"{day:%Y-%m-%d}", {})
    flags = [name for name, present in (("partial_day", partial_day),
                                        ("partial_chain", chain.get("expiries_skipped")),
                                        ("dropped_bars", report.get("bars_dropped"))) if present]  # fmt: skip
    return ",".join(flags)


def journal_row(day: ScoredDay, cfg: dict, manifest: dict, models: dict, run: pd.Timestamp, flags: str) -> dict:
    """The journal's record of a scored day (JournalSchema, before the run-time columns)."""
    tiers = [tier for tier, columns in manifest.get("feature_tiers", {}).items() if columns]
    return {
        "as_of": day.date,
        "source": cfg["data"]["source"],
        "ticker": str(cfg["data"].get("ticker", "")),
        **day.predictions,
        **day.sizing,
        "models": json.dumps(models, sort_keys=True),
        "train_start": manifest["train_start"],
        "train_end": manifest["train_end"],
        "config_hash": config_hash(cfg),
        "staleness_days": (run.tz_convert(NEW_YORK).date() - day.date.date()).days,
        "feature_tiers": ",".join(tiers),
        "flags": flags,
    }


def run_daily(cfg: dict, root: str | Path = ".", now: pd.Timestamp | None = None) -> DailyRun:
    """One daily run over the artifacts under `root` (see the module docstring)."""
    root, paths = Path(root), cfg["paths"]
    run = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    guarded = f"{cfg['data'].get('name', cfg['data'].get('ticker', ''))}'s snapshot archive, store and journal"
    with exclusive_writer(root / paths["writer_lock"], float(cfg["writer_lock_timeout"]), guarded, "daily run"):
        return _run_daily(cfg, root, run)


def _run_daily(cfg: dict, root: Path, run: pd.Timestamp) -> DailyRun:
    """run_daily's body, under the ticker's writer lock."""
    paths = cfg["paths"]
    journal = read_journal(root / paths["journal"])  # a damaged journal stops the run here
    check_no_future_rows(journal, run.tz_convert(NEW_YORK).date(), root / paths["journal"])
    session = trading_session(cfg, run)
    if session is not None and not session.is_session:
        return DailyRun("closed", message=f"{session.describe()}: nothing fetched, nothing recorded")
    market = stored_latest_day(cfg, root)  # a simulated source, as fetched: no need to simulate it again
    if market is None:
        intake = take_in(cfg, run.tz_convert(NEW_YORK).date(), root)
        if intake.archived:  # the app shows the day's chain now; the weekly `dvc repro` mirrors the same again
            mirror_archive(root / paths["snapshot_archive"], root / paths["options_store"])
        market = replace(intake.market, prices=intake.prices)
    day = score_latest_day(market, cfg, root)
    base_dir = root / paths["base_dir"]
    manifest = json.loads((base_dir / "manifest.json").read_text())
    flags = market_flags(market, day.date, partial_day=session is not None and session.before_close)
    row = journal_row(day, cfg, manifest, model_fingerprints(base_dir, manifest), run, flags)
    journal, status = record_day(journal, row, run)
    rf = float(daily_risk_free(market.prices, float(cfg["data"]["risk_free_rate"])).iloc[-1])
    journal = fill_realised(journal, market.prices, rf)
    record = forward_record(journal, rf) | {"backtest": _backtest_figures(root / paths["metrics_dir"])}
    write_journal(journal, root / paths["journal"])
    write_json(record, root / paths["metrics_dir"] / "journal.json")
    return DailyRun(status, row, record)


def trading_session(cfg: dict, run: pd.Timestamp) -> SessionDay | None:
    """The exchange's session at `run` for a source that answers with today's market (None for the others);
    PartialDayError before the close unless `daily.allow_partial`."""
    if not answers_today(cfg["data"]):
        return None
    session = session_day(run, cfg["daily"]["calendar"])
    if session.before_close and not cfg["daily"]["allow_partial"]:
        raise PartialDayError(
            f"{session.describe()}; it is {run.tz_convert(NEW_YORK):%H:%M} New York: a run before the close would "
            "record a partial day. Run after the close, or pass daily.allow_partial=true to record it flagged "
            "partial_day"
        )
    return session


def _backtest_figures(metrics_dir: Path) -> dict | None:
    path = metrics_dir / "backtest.json"
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    return {"period": summary["period"], "strategy": summary["strategy"], "buy_and_hold": summary["buy_and_hold"]}


def summary_text(result: DailyRun) -> str:
    """The day's signal and the forward record, for the terminal."""
    if result.row is None:
        return result.message
    row, record = result.row, result.record
    lines = [
        f"{row['as_of']:%Y-%m-%d} ({row['source']} {row['ticker']}, {row['staleness_days']} day(s) old): "
        f"allocation {row['allocation']:.3f} (raw {row['allocation_raw']:.3f}, "
        f"clipped {row['allocation_clipped']:.3f}); "
        f"predicted excess return {row['prediction'] * 1e4:+.2f} bp; vol {row['vol_estimate']:.1%}",
        f"journal: {result.status}" + (" (the first record of this day is kept)" if result.status == "rerun" else ""),
        f"forward record: {record['days_recorded']} day(s) recorded, {record['days_realised']} realised",
    ]
    for name in ("journal", "buy_and_hold"):
        if record[name] is not None:
            figures = ", ".join(f"{k} {v:.4f}" for k, v in record[name].items() if v is not None)
            lines.append(f"  {name}: {figures}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`spyglass-daily [--ticker NAME ...] [overrides]`: one run per ticker of the portfolio (every
    entry unless some are named), from the repository root; one-line errors. A failed ticker does not stop the
    others; the exit status is 1 if any failed."""
    from spyglass.cli import log, run_stage
    from spyglass.config import load_config, split_tickers

    def daily(cfg) -> None:
        result = run_daily(to_plain(cfg))
        if result.row is not None:
            log.info("daily: %s %s", result.status, f"{result.row['as_of']:%Y-%m-%d}")
        print(summary_text(result))

    names, overrides = split_tickers(sys.argv[1:] if argv is None else argv)
    failed = []
    for name in names or list(load_config(overrides).portfolio):
        try:
            run_stage(daily, ["--ticker", name, *overrides])
        except SystemExit as exc:
            if exc.code:
                failed.append(name)
    if failed:
        log.error("daily: failed for %s", ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
