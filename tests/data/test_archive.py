"""The snapshot archive: real snapshots filed once and kept, store partitions it lacks adopted, the store a mirror."""

from __future__ import annotations

import polars as pl
import pytest

from spyglass.data.archive import adopt_store, file_snapshots, mirror_archive
from spyglass.data.store import Provenance, StoreConflictError, partition_files, replace_store, write_snapshots

REAL = Provenance("yfinance", "SPY", simulated=False)


@pytest.fixture()
def days(synthetic_market) -> list[pl.DataFrame]:
    chains = synthetic_market.chains
    return [chains.filter(pl.col("snapshot_date") == d) for d in chains["snapshot_date"].unique().sort()[:3]]


def contents(directory) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in partition_files(directory)}


def test_filing_the_same_day_twice_keeps_one_partition_and_a_better_one_wins(days, tmp_path):
    archive = tmp_path / "archive"
    assert file_snapshots(days[0], archive, REAL)["snapshots_written"] == 1
    first = contents(archive)
    fewer = days[0].filter(pl.col("expiry") != pl.col("expiry").min())
    kept = file_snapshots(fewer, archive, REAL)
    why = next(iter(kept["snapshots_kept"].values()))
    assert kept["snapshots_written"] == 0 and "is not as good on every count" in why
    assert contents(archive) == first


def test_the_store_becomes_an_exact_copy_of_the_archive_after_adopting_what_only_it_held(days, tmp_path):
    archive, store = tmp_path / "archive", tmp_path / "store"
    write_snapshots(days[0], store, REAL)  # stored before the archive existed
    file_snapshots(pl.concat(days[1:]), archive, REAL)
    assert adopt_store(store, archive, REAL) == 1
    assert adopt_store(store, archive, REAL) == 0  # adopting twice files nothing new
    assert mirror_archive(archive, store) == 3
    assert contents(store) == contents(archive) and len(contents(archive)) == 3


def test_a_store_of_simulated_snapshots_is_refused_before_the_archive_is_written(days, tmp_path):
    archive, store = tmp_path / "archive", tmp_path / "store"
    replace_store(days[0], store, Provenance("synthetic", "SYNTH", simulated=True))
    with pytest.raises(StoreConflictError, match=r"holds 1 simulated SYNTH snapshots .*this run brings real SPY"):
        adopt_store(store, archive, REAL)
    assert not archive.exists()


def test_an_archive_of_another_kind_points_at_the_archive_setting(days, tmp_path):
    archive = tmp_path / "archive"
    file_snapshots(days[0], archive, Provenance("cboe", "SPX", simulated=False))
    with pytest.raises(StoreConflictError, match=r"holds 1 real SPX snapshots .*this run brings real SPY snapshots "
                                                 r".*-S paths\.snapshot_archive=<folder>"):  # fmt: skip
        file_snapshots(days[1], archive, REAL)
