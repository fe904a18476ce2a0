from __future__ import annotations

import polars as pl
import pytest

from spyglass.data.store import partition_path, read_snapshots, scan_snapshots, write_snapshots
from spyglass.schemas import DataValidationError


def test_round_trip_one_partition_per_date(synthetic_market, tmp_path):
    chains = synthetic_market.chains.filter(
        pl.col("snapshot_date").is_in(synthetic_market.chains["snapshot_date"].unique().sort()[:3].implode())
    )
    written = write_snapshots(chains, tmp_path)
    assert len(written) == 3
    back = read_snapshots(tmp_path).sort(["snapshot_date", "expiry", "option_type", "strike"])
    assert back.equals(chains.sort(["snapshot_date", "expiry", "option_type", "strike"]))


def test_writing_a_date_leaves_other_partitions_untouched(synthetic_market, tmp_path):
    dates = synthetic_market.chains["snapshot_date"].unique().sort()[:2]
    first = synthetic_market.chains.filter(pl.col("snapshot_date") == dates[0])
    second = synthetic_market.chains.filter(pl.col("snapshot_date") == dates[1])
    write_snapshots(first, tmp_path)
    before = partition_path(tmp_path, dates[0]).stat()
    write_snapshots(second, tmp_path)
    write_snapshots(second.with_columns(pl.col("bid") * 0.5), tmp_path)
    after = partition_path(tmp_path, dates[0]).stat()
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
    assert read_snapshots(tmp_path).filter(pl.col("snapshot_date") == dates[1])["bid"].sum() == pytest.approx(
        second["bid"].sum() * 0.5
    )


def test_invalid_chain_writes_nothing(synthetic_market, tmp_path):
    bad = synthetic_market.chains.head(10).with_columns(strike=pl.lit(-1.0))
    with pytest.raises(DataValidationError, match="strike"):
        write_snapshots(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_empty_store_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="store is empty"):
        scan_snapshots(tmp_path)
