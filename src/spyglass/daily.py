"""The daily run: load today's data through the configured source, score it with the saved models (no
retraining), size the position with the pipeline's `get_allocations`, record the day in the signal journal,
fill earlier days' outcomes, and print the signal and the forward record.

    python -m spyglass.daily [Hydra overrides]      (or `make daily`)

The journal (`paths.journal`) is read first: a damaged one stops the run before anything is written. The
forward record goes to `metrics/journal.json`, beside the backtest's figures for comparison. On the offline
sources the as-of date is the data's last bar.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spyglass.config import to_plain
from spyglass.data import MarketData, load_market_data
from spyglass.features.targets import daily_risk_free
from spyglass.io import json_text, write_json
from spyglass.journal import fill_realised, forward_record, read_journal, record_day, write_journal
from spyglass.live import ScoredDay, score_latest_day
from spyglass.models.registry import model_fingerprints


@dataclass
class DailyRun:
    """What one daily run recorded: the journal row's date, whether it was new or a rerun, and the record."""

    row: dict
    status: str  # "recorded" | "rerun"
    record: dict


def config_hash(cfg: dict) -> str:
    """First 12 hex digits of the SHA-256 of the config as canonical JSON: which settings produced a signal."""
    return hashlib.sha256(json_text(cfg).encode()).hexdigest()[:12]


def market_flags(market: MarketData) -> str:
    """ "partial_chain" when expiries were skipped, "dropped_bars" when bars were dropped (comma-joined)."""
    report = market.report
    flags = [name for name, present in (("partial_chain", report.get("expiries_skipped")),
                                        ("dropped_bars", report.get("bars_dropped"))) if present]  # fmt: skip
    return ",".join(flags)


def journal_row(day: ScoredDay, market: MarketData, cfg: dict, manifest: dict, models: dict, run: pd.Timestamp) -> dict:
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
        "staleness_days": (run.tz_convert("America/New_York").date() - day.date.date()).days,
        "feature_tiers": ",".join(tiers),
        "flags": market_flags(market),
    }


def run_daily(cfg: dict, root: str | Path = ".", now: pd.Timestamp | None = None) -> DailyRun:
    """One daily run over the artifacts under `root` (see the module docstring)."""
    root, paths = Path(root), cfg["paths"]
    run = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    journal = read_journal(root / paths["journal"])  # a damaged journal stops the run here
    market = load_market_data(cfg["data"], int(cfg["seed"]))
    day = score_latest_day(market, cfg, root)
    base_dir = root / paths["base_dir"]
    manifest = json.loads((base_dir / "manifest.json").read_text())
    row = journal_row(day, market, cfg, manifest, model_fingerprints(base_dir, manifest), run)
    journal, status = record_day(journal, row, run)
    rf = float(daily_risk_free(market.prices, float(cfg["data"]["risk_free_rate"])).iloc[-1])
    journal = fill_realised(journal, market.prices, rf)
    record = forward_record(journal, rf) | {"backtest": _backtest_figures(root / paths["metrics_dir"])}
    write_journal(journal, root / paths["journal"])
    write_json(record, root / paths["metrics_dir"] / "journal.json")
    return DailyRun(row, status, record)


def _backtest_figures(metrics_dir: Path) -> dict | None:
    path = metrics_dir / "backtest.json"
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    return {"period": summary["period"], "strategy": summary["strategy"], "buy_and_hold": summary["buy_and_hold"]}


def summary_text(result: DailyRun) -> str:
    """The day's signal and the forward record, for the terminal."""
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
    """`python -m spyglass.daily [overrides]`: one run from the repository root; one-line errors, exit 1."""
    from spyglass.cli import log, run_stage

    def daily(cfg) -> None:
        result = run_daily(to_plain(cfg))
        log.info("daily: %s %s", result.status, f"{result.row['as_of']:%Y-%m-%d}")
        print(summary_text(result))

    run_stage(daily, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
