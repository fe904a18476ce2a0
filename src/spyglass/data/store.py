"""Option snapshot store: one parquet partition per snapshot date, each written atomically.

Layout: <root>/snapshot_date=YYYY-MM-DD/chain.parquet. Appending a snapshot replaces only that date's
partition (a second fetch on the same day), never another one. Rows are unique by (snapshot_date, expiry,
option_type, strike). Reads are lazy (polars) and schema-validated; a partition that cannot be read is
skipped with a warning naming it, and left on disk untouched for inspection.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from spyglass.io import replace_dir, write_parquet
from spyglass.schemas import OptionChainSchema, validate

log = logging.getLogger(__name__)
PARTITION_FILE = "chain.parquet"
CONTRACT_KEY = ["snapshot_date", "expiry", "option_type", "strike"]


def partition_path(root: str | Path, snapshot_date) -> Path:
    return Path(root) / f"snapshot_date={snapshot_date:%Y-%m-%d}" / PARTITION_FILE


def deduplicated(chains: pl.DataFrame) -> pl.DataFrame:
    """One row per contract and snapshot (the last one seen wins); logs how many duplicates were dropped."""
    unique = chains.unique(subset=CONTRACT_KEY, keep="last", maintain_order=True)
    if unique.height < chains.height:
        log.warning(
            "dropped %d duplicate quotes (same snapshot, expiry, type and strike)", chains.height - unique.height
        )
    return unique


def _write_partitions(chains: pl.DataFrame, root: Path) -> list[Path]:
    written = []
    for (snapshot_date,), part in chains.sort(CONTRACT_KEY).group_by("snapshot_date", maintain_order=True):
        written.append(write_parquet(part, partition_path(root, snapshot_date)))
    return written


def write_snapshots(chains: pl.DataFrame, root: str | Path) -> list[Path]:
    """Append: validate, then (re)write the partition of each snapshot date in `chains`, and only those."""
    chains = validate(deduplicated(chains), OptionChainSchema, f"option chains for {root}")
    return _write_partitions(chains, Path(root))


def replace_store(chains: pl.DataFrame | None, root: str | Path) -> int:
    """Rebuild the whole store from `chains` (simulated histories; None = a source without options leaves it
    empty), swapped in atomically. Returns the number of snapshot dates written."""
    if chains is None:
        replace_dir(lambda staging: None, root)
        return 0
    chains = validate(deduplicated(chains), OptionChainSchema, f"option chains for {root}")
    replace_dir(lambda staging: _write_partitions(chains, staging), root)
    return chains["snapshot_date"].n_unique()


def partition_files(root: str | Path) -> list[Path]:
    return sorted(Path(root).glob(f"snapshot_date=*/{PARTITION_FILE}"))


def readable_partitions(files: list[Path]) -> list[Path]:
    """The files whose parquet footer and schema can be read; each unreadable one is logged and skipped."""
    readable = []
    for path in files:
        try:
            pl.read_parquet_schema(path)
        except Exception as exc:  # polars raises several error types for damaged files
            log.warning("skipping unreadable option snapshot %s (%s: %s)", path, type(exc).__name__, exc)
            continue
        readable.append(path)
    return readable


def scan_snapshots(root: str | Path) -> pl.LazyFrame:
    """Lazy frame over every readable partition."""
    files = readable_partitions(partition_files(root))
    if not files:
        raise FileNotFoundError(f"{root}: option snapshot store is empty (run the fetch stage first)")
    return pl.scan_parquet(files, hive_partitioning=False)


def read_snapshots(root: str | Path) -> pl.DataFrame:
    """All readable snapshots, validated against OptionChainSchema."""
    return validate(scan_snapshots(root).collect(), OptionChainSchema, root)
