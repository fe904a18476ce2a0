"""Option snapshot store: one parquet partition per snapshot date, each written atomically.

Layout: <root>/snapshot_date=YYYY-MM-DD/chain.parquet. Writing a snapshot replaces only that date's
partition; other partitions are never touched. Reads are lazy (polars) and schema-validated.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from spyglass.io import write_parquet
from spyglass.schemas import OptionChainSchema, validate

PARTITION_FILE = "chain.parquet"


def partition_path(root: str | Path, snapshot_date) -> Path:
    return Path(root) / f"snapshot_date={snapshot_date:%Y-%m-%d}" / PARTITION_FILE


def write_snapshots(chains: pl.DataFrame, root: str | Path) -> list[Path]:
    """Validate `chains`, then write one partition per snapshot date (replacing only those dates)."""
    validate(chains, OptionChainSchema, f"option chains for {root}")
    written = []
    for (snapshot_date,), part in chains.sort("snapshot_date").group_by("snapshot_date", maintain_order=True):
        written.append(write_parquet(part, partition_path(root, snapshot_date)))
    return written


def scan_snapshots(root: str | Path) -> pl.LazyFrame:
    """Lazy frame over every stored partition."""
    files = sorted(Path(root).glob(f"snapshot_date=*/{PARTITION_FILE}"))
    if not files:
        raise FileNotFoundError(f"{root}: option snapshot store is empty (run the fetch stage first)")
    return pl.scan_parquet(files, hive_partitioning=False)


def read_snapshots(root: str | Path) -> pl.DataFrame:
    """All snapshots, validated against OptionChainSchema."""
    return validate(scan_snapshots(root).collect(), OptionChainSchema, root)
