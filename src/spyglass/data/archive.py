"""The snapshot archive: every real option snapshot spyglass has taken, append-only, out of DVC's reach.

A real chain can be fetched only on the day it is quoted, so the fetch stage and the daily run file it here
(`paths.snapshot_archive`) as soon as it is valid. No stage outputs the archive, so `dvc checkout`,
`dvc exp apply` and `dvc exp run` never roll it back; the fetch stage lists it as a dependency, so a weekly
`dvc repro` reruns the pipeline when the daily run has filed a new day, and reruns nothing when nothing new
arrived. The fetch stage mirrors the archive into the pipeline's snapshot store (`paths.options_store`, a DVC
output). The store's rules hold here too: one kind per archive, a filed date replaced only by a fuller snapshot.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from spyglass.data.store import Provenance, check_one_kind, valid_partitions, write_snapshots
from spyglass.io import atomic_path, replace_dir


def file_snapshots(chains: pl.DataFrame, archive: str | Path, provenance: Provenance, replace: bool = False) -> dict:
    """Append a real source's snapshots to the archive; what was written and what was kept (and why).
    SnapshotRefusedError, after the valid days are filed, when a day must not be (spyglass.data.store)."""
    written = write_snapshots(chains, archive, provenance, replace, role="archive")
    return {"snapshots_written": len(written.written), "snapshots_kept": written.kept}


def _copy(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def adopt_store(store: str | Path, archive: str | Path, provenance: Provenance) -> int:
    """File the store's partitions whose dates the archive lacks (real snapshots stored before the archive
    existed); the number adopted. Refuses, writing nothing, when either holds another kind of snapshot."""
    check_one_kind(store, provenance)
    check_one_kind(archive, provenance, role="archive")
    archived = {path.parent.name for path in valid_partitions(archive)}
    missing = [path for path in valid_partitions(store) if path.parent.name not in archived]
    for path in missing:
        _copy(path, Path(archive) / path.relative_to(store))
    return len(missing)


def mirror_archive(archive: str | Path, store: str | Path) -> int:
    """Make the store an exact copy of the archive's valid partitions (swapped in atomically; the archive's
    rejected candidates and stray folders stay where they are); the number copied."""
    partitions = valid_partitions(archive)

    def build(staging: Path) -> None:
        for path in partitions:
            target = staging / path.relative_to(archive)
            target.parent.mkdir(parents=True)
            shutil.copyfile(path, target)

    replace_dir(build, store)
    return len(partitions)
