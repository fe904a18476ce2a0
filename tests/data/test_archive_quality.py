"""The archive only ever gets better: a day's chain is replaced only by one at least as good on usable quotes, open
interest and expiries; broken chains never enter; stray folders and misfiled partitions are never read."""

from __future__ import annotations

import logging
import shutil

import polars as pl
import pytest

from spyglass.data.archive import file_snapshots, mirror_archive
from spyglass.data.snapshot_quality import snapshot_problems, snapshot_quality
from spyglass.data.store import (
    Provenance,
    SnapshotRefusedError,
    partition_files,
    partition_path,
    read_snapshots,
    valid_partitions,
)

REAL = Provenance("yfinance", "SPY", simulated=False)


@pytest.fixture()
def days(synthetic_market) -> list[pl.DataFrame]:
    chains = synthetic_market.chains
    return [chains.filter(pl.col("snapshot_date") == d) for d in chains["snapshot_date"].unique().sort()[:2]]


def everything(directory) -> dict[str, bytes]:
    """Every file under `directory` (partitions, rejected candidates, anything) by relative path."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def partitions(directory) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in partition_files(directory)}


def crossed(day: pl.DataFrame) -> pl.DataFrame:
    return day.with_columns(bid=pl.col("ask") + 0.5)


BROKEN = {
    "crossed": (crossed, r"two-sided quotes are crossed \(bid above ask\)"),
    "no open interest": (lambda d: d.with_columns(open_interest=pl.lit(0.0)), "no contract has open interest"),
    "unpriceable": (lambda d: d.with_columns(bid=None, ask=None, last=None), "nothing prices any contract"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_chain_never_enters_and_is_kept_aside(days, tmp_path, case):
    archive = tmp_path / "archive"
    file_snapshots(days[0], archive, REAL)
    before = partitions(archive)
    breaks, reason = BROKEN[case]
    with pytest.raises(
        SnapshotRefusedError,
        match=rf"archive: refused 1 option snapshot\(s\): {days[0]['snapshot_date'][0]}: .*{reason}",
    ):
        file_snapshots(breaks(days[0]), archive, REAL)
    assert partitions(archive) == before  # the filed day is untouched
    aside = archive / "rejected" / f"snapshot_date={days[0]['snapshot_date'][0]}" / "candidate-1.parquet"
    assert pl.read_parquet(aside).height == days[0].height
    assert len(valid_partitions(archive)) == 1 and read_snapshots(archive).height == days[0].height


def test_a_worse_file_of_the_same_size_does_not_replace_the_filed_day(days, tmp_path, caplog):
    archive = tmp_path / "archive"
    file_snapshots(days[0], archive, REAL)
    before = partitions(archive)
    no_bids = days[0].with_columns(bid=pl.when(pl.col("strike") > pl.col("strike").median()).then(None)
                                   .otherwise(pl.col("bid")))  # fmt: skip
    assert no_bids.height == days[0].height and not snapshot_problems(no_bids)
    with caplog.at_level(logging.WARNING):
        report = file_snapshots(no_bids, archive, REAL)
    assert report["snapshots_written"] == 0 and partitions(archive) == before
    kept = report["snapshots_kept"][f"{days[0]['snapshot_date'][0]}"]
    filed = snapshot_quality(days[0]).describe()
    assert kept.startswith(f"kept the stored {days[0]['snapshot_date'][0]} snapshot ({filed})")
    assert f"({snapshot_quality(no_bids).describe()})" in kept and "kept aside as" in kept


def test_a_genuinely_better_day_replaces_a_worse_one(days, tmp_path):
    archive = tmp_path / "archive"
    worse = days[0].filter(pl.col("expiry") != pl.col("expiry").max())
    file_snapshots(worse, archive, REAL)
    assert file_snapshots(days[0], archive, REAL)["snapshots_written"] == 1
    assert read_snapshots(archive).height == days[0].height


def test_valid_days_of_a_fetch_are_filed_and_a_broken_one_named(days, tmp_path):
    archive = tmp_path / "archive"
    with pytest.raises(SnapshotRefusedError, match=r"refused 1 option snapshot\(s\): .*; 1 other day\(s\) filed"):
        file_snapshots(pl.concat([days[0], crossed(days[1])]), archive, REAL)
    assert read_snapshots(archive)["snapshot_date"].unique().to_list() == [days[0]["snapshot_date"][0]]


def test_a_backup_folder_and_a_misfiled_partition_are_named_and_never_read(days, tmp_path, caplog):
    archive, store = tmp_path / "archive", tmp_path / "store"
    file_snapshots(pl.concat(days), archive, REAL)
    first, second = (partition_path(archive, day["snapshot_date"][0]) for day in days)
    backup = archive / f"{first.parent.name}.bak"
    shutil.copytree(first.parent, backup)
    misfiled = archive / "snapshot_date=2011-01-03"
    shutil.copytree(second.parent, misfiled)  # the rows are of another day than the folder says
    with caplog.at_level(logging.WARNING):
        assert valid_partitions(archive) == [first, second]
        assert read_snapshots(archive).height == days[0].height + days[1].height  # nothing doubled
        assert mirror_archive(archive, store) == 2
    assert f"not snapshot_date=YYYY-MM-DD partitions: {backup}" in caplog.text
    assert f"ignoring {misfiled / 'chain.parquet'}: its rows are of {days[1]['snapshot_date'][0]}" in caplog.text
    assert sorted(p.parent.name for p in partition_files(store)) == [first.parent.name, second.parent.name]
    assert backup.exists() and misfiled.exists()  # left on disk for the operator


def test_a_partition_written_by_another_tool_is_dated_by_its_rows(days, tmp_path, caplog):
    from spyglass.data.store import held_dates

    right, wrong = tmp_path / "snapshot_date=2011-12-05", tmp_path / "snapshot_date=2011-12-07"
    for folder in (right, wrong):
        folder.mkdir()
        days[0].write_parquet(folder / "chain.parquet")  # no spyglass metadata: dated by column statistics
    assert held_dates(right / "chain.parquet") == {days[0]["snapshot_date"][0]}
    with caplog.at_level(logging.WARNING):
        kept = [path.parent.name for path in valid_partitions(tmp_path)]
    assert f"{days[0]['snapshot_date'][0]}" == "2011-12-05" and kept == ["snapshot_date=2011-12-05"]
    assert "snapshot_date=2011-12-07/chain.parquet: its rows are of 2011-12-05" in caplog.text
