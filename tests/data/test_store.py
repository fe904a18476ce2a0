"""The snapshot store: append-only by date, atomic per partition, deduplicated, and robust to damage."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from spyglass.data.store import (
    CONTRACT_KEY,
    partition_files,
    partition_path,
    read_snapshots,
    replace_store,
    scan_snapshots,
    write_snapshots,
)
from spyglass.schemas import DataValidationError


@pytest.fixture()
def days(synthetic_market) -> list[pl.DataFrame]:
    chains = synthetic_market.chains
    dates = chains["snapshot_date"].unique().sort()[:3]
    return [chains.filter(pl.col("snapshot_date") == d) for d in dates]


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(CONTRACT_KEY)


def test_round_trip_one_partition_per_date(days, tmp_path):
    chains = pl.concat(days)
    assert len(write_snapshots(chains, tmp_path)) == 3
    assert sorted_rows(read_snapshots(tmp_path)).equals(sorted_rows(chains))
    assert isinstance(scan_snapshots(tmp_path), pl.LazyFrame)


def test_appending_a_date_leaves_other_partitions_untouched(days, tmp_path):
    write_snapshots(days[0], tmp_path)
    before = partition_path(tmp_path, days[0]["snapshot_date"][0]).stat()
    write_snapshots(days[1], tmp_path)
    write_snapshots(days[1].with_columns(pl.col("bid") * 0.5), tmp_path)  # a second fetch the same day
    after = partition_path(tmp_path, days[0]["snapshot_date"][0]).stat()
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
    stored = read_snapshots(tmp_path)
    assert stored.height == days[0].height + days[1].height
    second = stored.filter(pl.col("snapshot_date") == days[1]["snapshot_date"][0])
    assert second["bid"].sum() == pytest.approx(days[1]["bid"].sum() * 0.5)


def test_duplicate_quotes_are_dropped_keeping_the_last(days, tmp_path, caplog):
    doubled = pl.concat([days[0], days[0].with_columns(pl.col("ask") + 1.0)])
    with caplog.at_level(logging.WARNING):
        write_snapshots(doubled, tmp_path)
    stored = read_snapshots(tmp_path)
    assert stored.height == days[0].height
    assert stored["ask"].sum() == pytest.approx(days[0]["ask"].sum() + days[0].height)
    assert f"dropped {days[0].height} duplicate quotes" in caplog.text


def test_invalid_chain_writes_nothing(days, tmp_path):
    write_snapshots(days[0], tmp_path)
    snapshot = {p: p.read_bytes() for p in partition_files(tmp_path)}
    with pytest.raises(DataValidationError, match="strike"):
        write_snapshots(days[1].with_columns(strike=pl.lit(-1.0)), tmp_path)
    assert {p: p.read_bytes() for p in partition_files(tmp_path)} == snapshot


def test_a_write_killed_half_way_leaves_the_store_whole_and_unchanged(days, tmp_path, monkeypatch):
    write_snapshots(pl.concat(days[:2]), tmp_path)
    before = sorted_rows(read_snapshots(tmp_path))
    original = pl.DataFrame.write_parquet

    def crash_half_way(self, file, *args, **kwargs):
        original(self.head(self.height // 2), file, *args, **kwargs)  # half the rows reach the disk ...
        raise KeyboardInterrupt("killed")  # ... then the process dies

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        write_snapshots(days[1].with_columns(pl.col("bid") + 1.0), tmp_path)  # rewrite an existing day
    with pytest.raises(KeyboardInterrupt):
        write_snapshots(days[2], tmp_path)  # add a new day
    monkeypatch.undo()
    assert sorted_rows(read_snapshots(tmp_path)).equals(before)
    assert all(p.name == "chain.parquet" for p in tmp_path.rglob("*") if p.is_file())


def test_a_corrupt_partition_is_skipped_with_a_warning_and_left_on_disk(days, tmp_path, caplog):
    write_snapshots(pl.concat(days), tmp_path)
    damaged = partition_path(tmp_path, days[1]["snapshot_date"][0])
    damaged.write_bytes(b"PAR1 not really parquet")
    with caplog.at_level(logging.WARNING):
        stored = read_snapshots(tmp_path)
    assert stored.height == days[0].height + days[2].height
    assert f"skipping unreadable option snapshot {damaged}" in caplog.text
    assert damaged.read_bytes() == b"PAR1 not really parquet"


def test_replace_store_rebuilds_the_whole_history(days, tmp_path):
    write_snapshots(pl.concat(days), tmp_path)
    assert replace_store(days[0], tmp_path) == 1
    assert read_snapshots(tmp_path)["snapshot_date"].n_unique() == 1


def test_empty_store_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="store is empty"):
        scan_snapshots(tmp_path)
