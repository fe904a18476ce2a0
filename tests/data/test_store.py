"""The snapshot store: append-only by date, atomic per partition, deduplicated, and robust to damage."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from spyglass.data.label import main as label_main
from spyglass.data.snapshot_quality import ConflictingQuotesError
from spyglass.data.store import (
    Provenance,
    StoreConflictError,
    partition_files,
    partition_path,
    partition_provenance,
    read_snapshots,
    replace_store,
    scan_snapshots,
    write_snapshots,
)
from spyglass.io import write_parquet
from spyglass.schemas import DataValidationError, contract_key

REAL = Provenance("yfinance", "SPY", simulated=False)
SIMULATED = Provenance("sample", "^GSPC", simulated=True)


@pytest.fixture()
def days(synthetic_market) -> list[pl.DataFrame]:
    chains = synthetic_market.chains
    dates = chains["snapshot_date"].unique().sort()[:3]
    return [chains.filter(pl.col("snapshot_date") == d) for d in dates]


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(contract_key(frame))


def test_round_trip_one_partition_per_date(days, tmp_path):
    chains = pl.concat(days)
    assert len(write_snapshots(chains, tmp_path, REAL).written) == 3
    assert sorted_rows(read_snapshots(tmp_path)).equals(sorted_rows(chains))
    assert isinstance(scan_snapshots(tmp_path), pl.LazyFrame)


def test_appending_a_date_leaves_other_partitions_untouched(days, tmp_path):
    write_snapshots(days[0], tmp_path, REAL)
    before = partition_path(tmp_path, days[0]["snapshot_date"][0]).stat()
    write_snapshots(days[1], tmp_path, REAL)
    write_snapshots(days[1].with_columns(pl.col("bid") * 0.5), tmp_path, REAL)  # a second fetch the same day
    after = partition_path(tmp_path, days[0]["snapshot_date"][0]).stat()
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
    stored = read_snapshots(tmp_path)
    assert stored.height == days[0].height + days[1].height
    second = stored.filter(pl.col("snapshot_date") == days[1]["snapshot_date"][0])
    assert second["bid"].sum() == pytest.approx(days[1]["bid"].sum() * 0.5)


def test_a_repeated_quote_is_dropped_and_a_conflicting_one_refused_naming_it(days, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        write_snapshots(pl.concat([days[0], days[0]]), tmp_path, REAL)
    assert read_snapshots(tmp_path).height == days[0].height
    assert f"dropped {days[0].height} repeated quotes" in caplog.text
    before = {p: p.read_bytes() for p in partition_files(tmp_path)}
    conflicting = pl.concat([days[1], days[1].head(3).with_columns(pl.col("ask") * 3)])
    first = days[1].sort(contract_key(days[1])).row(0, named=True)
    with pytest.raises(ConflictingQuotesError, match=r"^3 contract\(s\) quoted twice with different numbers"):
        write_snapshots(conflicting, tmp_path, REAL)
    assert {p: p.read_bytes() for p in partition_files(tmp_path)} == before
    assert first["snapshot_date"] is not None  # the message lists each contract: snapshot, expiry, type, strike


def test_invalid_chain_writes_nothing(days, tmp_path):
    write_snapshots(days[0], tmp_path, REAL)
    snapshot = {p: p.read_bytes() for p in partition_files(tmp_path)}
    with pytest.raises(DataValidationError, match="strike"):
        write_snapshots(days[1].with_columns(strike=pl.lit(-1.0)), tmp_path, REAL)
    assert {p: p.read_bytes() for p in partition_files(tmp_path)} == snapshot


def test_a_write_killed_half_way_leaves_the_store_whole_and_unchanged(days, tmp_path, monkeypatch):
    write_snapshots(pl.concat(days[:2]), tmp_path, REAL)
    before = sorted_rows(read_snapshots(tmp_path))
    original = pl.DataFrame.write_parquet

    def crash_half_way(self, file, *args, **kwargs):
        original(self.head(self.height // 2), file, *args, **kwargs)  # half the rows reach the disk ...
        raise KeyboardInterrupt("killed")  # ... then the process dies

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        write_snapshots(days[1].with_columns(pl.col("bid") + 1.0), tmp_path, REAL)  # rewrite an existing day
    with pytest.raises(KeyboardInterrupt):
        write_snapshots(days[2], tmp_path, REAL)  # add a new day
    monkeypatch.undo()
    assert sorted_rows(read_snapshots(tmp_path)).equals(before)
    assert all(p.name == "chain.parquet" for p in tmp_path.rglob("*") if p.is_file())


def test_a_corrupt_partition_is_skipped_with_a_warning_and_left_on_disk(days, tmp_path, caplog):
    write_snapshots(pl.concat(days), tmp_path, REAL)
    damaged = partition_path(tmp_path, days[1]["snapshot_date"][0])
    damaged.write_bytes(b"PAR1 not really parquet")
    with caplog.at_level(logging.WARNING):
        stored = read_snapshots(tmp_path)
    assert stored.height == days[0].height + days[2].height
    assert f"skipping unreadable option snapshot {damaged}" in caplog.text
    assert damaged.read_bytes() == b"PAR1 not really parquet"


def test_replace_store_rebuilds_a_simulated_history(days, tmp_path):
    replace_store(pl.concat(days), tmp_path, SIMULATED)
    assert replace_store(days[0], tmp_path, Provenance("synthetic", "SYNTH", simulated=True)) == 1
    assert read_snapshots(tmp_path)["snapshot_date"].n_unique() == 1


def test_empty_store_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="store is empty"):
        scan_snapshots(tmp_path)


def test_every_partition_records_its_provenance(days, tmp_path):
    write_snapshots(pl.concat(days), tmp_path, REAL)
    assert {partition_provenance(p) for p in partition_files(tmp_path)} == {REAL}


def test_a_same_day_refetch_with_fewer_expiries_keeps_the_fuller_partition(days, tmp_path, caplog):
    write_snapshots(days[0], tmp_path, REAL)
    path = partition_path(tmp_path, days[0]["snapshot_date"][0])
    before = path.read_bytes()
    first_expiry = days[0]["expiry"].min()
    fewer = days[0].filter(pl.col("expiry") != first_expiry).with_columns(pl.col("bid") + 0.01)
    with caplog.at_level(logging.WARNING):
        report = write_snapshots(fewer, tmp_path, REAL)
    assert report.written == [] and list(report.kept) == [str(days[0]["snapshot_date"][0])]
    assert path.read_bytes() == before
    assert "this fetch's is not as good on every count" in caplog.text
    aside = tmp_path / "rejected" / path.parent.name / "candidate-1.parquet"
    assert pl.read_parquet(aside).height == fewer.height  # kept aside for inspection, never over the partition
    # as complete (same contracts, newer quotes) replaces; fewer replaces only when asked for
    write_snapshots(days[0].with_columns(pl.col("bid") + 0.02), tmp_path, REAL)
    assert read_snapshots(tmp_path)["bid"].sum() == pytest.approx(days[0]["bid"].sum() + 0.02 * days[0].height)
    write_snapshots(fewer, tmp_path, REAL, replace=True)
    assert read_snapshots(tmp_path).height == fewer.height


def test_real_snapshots_are_never_mixed_with_simulated_ones_or_another_ticker(days, tmp_path):
    replace_store(days[0], tmp_path, SIMULATED)
    before = {p: p.read_bytes() for p in partition_files(tmp_path)}
    with pytest.raises(StoreConflictError, match=r"holds 1 simulated \^GSPC snapshots \(data=sample\).*this run brings "
                       r"real SPY snapshots \(data=yfinance\).*never mixes them. Move the store aside"):  # fmt: skip
        write_snapshots(days[1], tmp_path, REAL)
    assert {p: p.read_bytes() for p in partition_files(tmp_path)} == before
    with pytest.raises(StoreConflictError, match="this run brings real QQQ"):
        write_snapshots(days[1], tmp_path, Provenance("csv", "QQQ", simulated=False))
    # the same kind from another real source is one history
    other = tmp_path / "real"
    write_snapshots(days[0], other, REAL)
    write_snapshots(days[1], other, Provenance("csv", "SPY", simulated=False))
    assert read_snapshots(other, REAL)["snapshot_date"].n_unique() == 2


def test_a_simulated_rebuild_refuses_to_delete_real_snapshots(days, tmp_path):
    write_snapshots(days[0], tmp_path, REAL)
    before = {p: p.read_bytes() for p in partition_files(tmp_path)}
    with pytest.raises(StoreConflictError, match=r"real snapshots cannot be fetched again"):
        replace_store(pl.concat(days), tmp_path, SIMULATED)
    assert {p: p.read_bytes() for p in partition_files(tmp_path)} == before


def test_a_mixed_store_cannot_be_read_and_the_error_names_both_kinds(days, tmp_path):
    write_snapshots(days[0], tmp_path, REAL)
    write_parquet(days[1], partition_path(tmp_path, days[1]["snapshot_date"][0]),
                  metadata={"spyglass.provenance": SIMULATED.to_json()})  # fmt: skip
    with pytest.raises(StoreConflictError, match=r"mixes kinds of option snapshots: .*real SPY.*simulated \^GSPC"):
        read_snapshots(tmp_path)
    real_only = tmp_path / "real"
    write_snapshots(days[0], real_only, REAL)
    with pytest.raises(StoreConflictError, match=r"holds 1 real SPY snapshots .*this run brings simulated"):
        scan_snapshots(real_only, SIMULATED)


def test_unlabelled_snapshots_are_refused_until_labelled(days, tmp_path, capsys):
    write_parquet(days[0], partition_path(tmp_path, days[0]["snapshot_date"][0]))  # written before provenance
    with pytest.raises(StoreConflictError, match=r"without provenance.*spyglass-label"):
        write_snapshots(days[1], tmp_path, REAL)
    label_main([str(tmp_path), "--source", "yfinance", "--ticker", "SPY"])
    assert "labelled 1 snapshot(s)" in capsys.readouterr().out
    write_snapshots(days[1], tmp_path, REAL)
    assert read_snapshots(tmp_path, REAL)["snapshot_date"].n_unique() == 2


def test_a_damaged_partition_of_the_day_is_moved_aside_for_the_new_snapshot(days, tmp_path, caplog):
    write_snapshots(days[0], tmp_path, REAL)
    path = partition_path(tmp_path, days[0]["snapshot_date"][0])
    path.write_bytes(b"PAR1 damaged")
    with caplog.at_level(logging.WARNING):
        report = write_snapshots(days[0], tmp_path, REAL)
    assert report.written == [path] and sorted_rows(read_snapshots(tmp_path)).equals(sorted_rows(days[0]))
    assert path.with_name("chain.parquet.damaged").read_bytes() == b"PAR1 damaged"
    assert "is unreadable" in caplog.text
