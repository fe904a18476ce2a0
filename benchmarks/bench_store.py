"""Snapshot store benchmark: write and read a year of simulated daily option snapshots (252 partitions),
against reading the same files one by one with pandas and concatenating, timed in the same run. Writes JSON.

    python benchmarks/bench_store.py [--out benchmarks/results/store.json]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import polars as pl
from timing import write_report

from spyglass.config import compose, select_ticker, to_plain
from spyglass.data import load_market_data, snapshot_provenance
from spyglass.data.store import partition_files, read_snapshots, scan_snapshots, write_snapshots

CONF = Path(__file__).resolve().parents[1] / "conf"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/store.json")
    args = parser.parse_args()
    cfg = select_ticker(to_plain(compose(["data.start=2016-01-04", "data.end=2018-12-31"], CONF)))
    chains = load_market_data(cfg["data"], cfg["seed"]).chains
    last_year = chains["snapshot_date"].unique().sort()[-252:]
    year = chains.filter(pl.col("snapshot_date").is_in(last_year.implode()))
    with tempfile.TemporaryDirectory() as root:
        provenance = snapshot_provenance(cfg["data"])
        write_s, _ = timed(lambda: write_snapshots(year, root, provenance))
        read_s = min(timed(lambda: read_snapshots(root))[0] for _ in range(3))
        day_s = min(timed(lambda: scan_snapshots(root).filter(pl.col("snapshot_date") == last_year[-1]).collect())[0]
                    for _ in range(3))  # fmt: skip
        files = partition_files(root)
        baseline_s = min(timed(lambda: pd.concat([pd.read_parquet(f) for f in files]))[0] for _ in range(3))
    report = {
        "snapshots": len(last_year),
        "quotes": year.height,
        "write_seconds": round(write_s, 3),
        "read_and_validate_seconds": round(read_s, 4),
        "lazy_one_day_seconds": round(day_s, 4),
        "baseline": "pandas.read_parquet per partition + concat, no validation",
        "baseline_seconds": round(baseline_s, 4),
        "read_speedup_vs_baseline": round(baseline_s / read_s, 2),
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
