"""Option snapshot store: one parquet partition per snapshot date, each written atomically, never mixed, never lost.

Layout: <root>/snapshot_date=YYYY-MM-DD/chain.parquet. Rows are unique by (snapshot_date, expiry, option_type,
strike). Reads are lazy (polars) and schema-validated; a partition that cannot be read is skipped with a
warning naming it, and left on disk untouched for inspection. Only folders named exactly
`snapshot_date=YYYY-MM-DD` (a real date) are partitions: a backup (`snapshot_date=...bak`) or any other folder is
named in a warning and ignored, and so is a partition whose rows are of another date than its folder's.

Rules that keep a real history safe (a chain can only be fetched on the day it is quoted):
- **Provenance.** Every partition records in its parquet metadata where it came from: source, ticker and
  whether it is simulated. A store holds one kind (simulated or real, one ticker): a write of another kind is
  refused before anything is written, and so is a read of a store that holds two kinds.
- **Append, by quality.** A fetch writes only the dates it brings, and only valid ones (spyglass.data
  .snapshot_quality: open interest somewhere, something priced, a feed not mostly crossed, no contract quoted
  twice with different numbers). A date already stored is replaced only by a snapshot at least as good on usable
  quotes, open interest and expiries (or, still valid, when `replace` is asked for); otherwise the stored one is
  kept and the fetch says so. A refused or outclassed candidate is never written over a partition: it is kept
  aside in <root>/rejected/snapshot_date=YYYY-MM-DD/ for inspection.
- **Rebuild.** A simulated source regenerates its whole history and swaps the store in one step; it refuses to
  when the store holds real snapshots, which could never be fetched again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from spyglass.data.snapshot_quality import snapshot_problems, snapshot_quality, without_repeated_quotes
from spyglass.errors import ConfigError, DataError, UserError
from spyglass.io import replace_dir, write_parquet
from spyglass.schemas import OptionChainSchema, contract_key, validate

log = logging.getLogger(__name__)
PARTITION_FILE = "chain.parquet"
PROVENANCE_KEY = "spyglass.provenance"
DATE_KEY = "spyglass.snapshot_date"  # the day a partition's rows are of, recorded when it is written
PARTITION_NAME = re.compile(r"^snapshot_date=(\d{4}-\d{2}-\d{2})$")
REJECTED = "rejected"  # candidates refused or outclassed, kept beside the partitions for inspection


class SnapshotRefusedError(DataError):
    """Snapshots that must not be filed; the message names each day, why, and where the candidate was kept."""


class StoreConflictError(UserError, ValueError):
    """A write or read would mix kinds of snapshots, or lose real ones; the message says what and how to fix it."""


@dataclass(frozen=True)
class Provenance:
    """Where a partition's quotes came from. Its kind (simulated or real, ticker) must be the same store-wide."""

    source: str
    ticker: str
    simulated: bool

    @property
    def kind(self) -> tuple[bool, str]:
        return self.simulated, self.ticker

    def describe(self) -> str:
        return f"{'simulated' if self.simulated else 'real'} {self.ticker} snapshots (data={self.source})"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


UNLABELLED = "snapshots without provenance (written before spyglass recorded it)"
LABEL_HINT = "label them with `spyglass-label {root} --source <data.source> --ticker <ticker>`"


@dataclass
class StoreWrite:
    """What an append did: dates written, dates whose better stored partition was kept (with why), and dates
    refused (with why); the refused and outclassed candidates are kept under <root>/rejected/."""

    written: list = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def partition_path(root: str | Path, snapshot_date) -> Path:
    return Path(root) / f"snapshot_date={snapshot_date:%Y-%m-%d}" / PARTITION_FILE


def deduplicated(chains: pl.DataFrame) -> pl.DataFrame:
    """One row per contract and snapshot: a quote repeated as it was is dropped (and counted in the log); one
    contract quoted twice with different numbers is an error naming it (spyglass.data.snapshot_quality)."""
    unique = without_repeated_quotes(chains)
    if unique.height < chains.height:
        log.warning("dropped %d repeated quotes (the same contract and numbers twice)", chains.height - unique.height)
    return unique


def partition_date(folder: Path) -> dt.date | None:
    """The date a partition folder is named after (None unless named exactly snapshot_date=YYYY-MM-DD)."""
    match = PARTITION_NAME.match(folder.name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def partition_files(root: str | Path) -> list[Path]:
    """The partitions of a store, in date order: chain.parquet in folders named exactly snapshot_date=YYYY-MM-DD;
    any other snapshot_date=* folder is named in a warning and ignored."""
    found = sorted(Path(root).glob(f"snapshot_date=*/{PARTITION_FILE}"))
    named = [path for path in found if partition_date(path.parent) is not None]
    strays = sorted(str(path.parent) for path in found if partition_date(path.parent) is None)
    if strays:
        log.warning("ignoring %d folder(s) that are not snapshot_date=YYYY-MM-DD partitions: %s", len(strays),
                    ", ".join(strays[:5]) + (" ..." if len(strays) > 5 else ""))  # fmt: skip
    return named


def partition_provenance(path: Path) -> Provenance | None:
    """The provenance recorded in a partition's metadata (None for partitions written before it was recorded).
    Raises if the file is not readable parquet."""
    recorded = pl.read_parquet_metadata(path).get(PROVENANCE_KEY)
    return Provenance(**json.loads(recorded)) if recorded else None


def held_dates(path: Path) -> set[dt.date]:
    """The snapshot dates a partition's rows are of: recorded in its metadata when spyglass wrote it, else read
    from the file's column statistics (one row group's min and max)."""
    recorded = pl.read_parquet_metadata(path).get(DATE_KEY)
    if recorded:
        return {dt.date.fromisoformat(recorded)}
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    column = metadata.schema.names.index("snapshot_date")
    bounds = [metadata.row_group(i).column(column).statistics for i in range(metadata.num_row_groups)]
    return {day for stats in bounds for day in (stats.min, stats.max)}


def inventory(root: str | Path) -> dict[Provenance | None, list[Path]]:
    """The store's readable partitions grouped by provenance; each unreadable one, and each holding rows of
    another date than its folder's, is logged and skipped (and left on disk)."""
    groups: dict[Provenance | None, list[Path]] = {}
    for path in partition_files(root):
        try:
            provenance, held = partition_provenance(path), held_dates(path)
        except Exception as exc:  # polars raises several error types for damaged files
            log.warning("skipping unreadable option snapshot %s (%s: %s)", path, type(exc).__name__, exc)
            continue
        if held != {partition_date(path.parent)}:
            log.warning("ignoring %s: its rows are of %s, not of its folder's date", path,
                        ", ".join(f"{day}" for day in sorted(held)))  # fmt: skip
            continue
        groups.setdefault(provenance, []).append(path)
    return groups


def valid_partitions(root: str | Path) -> list[Path]:
    """The store's readable partitions of the date their folder names, in date order."""
    return sorted(path for paths in inventory(root).values() for path in paths)


def _describe(provenance: Provenance | None, paths: list[Path]) -> str:
    dates = sorted(p.parent.name.removeprefix("snapshot_date=") for p in paths)
    span = dates[0] if len(dates) == 1 else f"{dates[0]}..{dates[-1]}"
    return f"{len(dates)} {UNLABELLED if provenance is None else provenance.describe()}, {span}"


def _kinds(groups: dict[Provenance | None, list[Path]]) -> dict:
    kinds: dict = {}
    for provenance, paths in groups.items():
        kinds.setdefault(None if provenance is None else provenance.kind, []).append(_describe(provenance, paths))
    return kinds


FIXES = {
    "store": "Move the store aside (mv {root} {root}.old) or give this source its own store "
             "(-S paths.options_store={root}_<name>)",
    "archive": "Move the archive aside (mv {root} {root}.old) or file this source under another archive "
               "(-S paths.snapshot_archive=<folder>)",
}  # fmt: skip


def check_one_kind(
    root: str | Path, incoming: Provenance | None = None, role: str = "store"
) -> dict[Provenance | None, list[Path]]:
    """The store's (or the archive's, `role`) inventory, after checking it holds one kind of snapshot and (given
    `incoming`) the same kind as `incoming`; StoreConflictError names both kinds and the fix otherwise."""
    groups = inventory(root)
    kinds = _kinds(groups)
    fix = f"spyglass never mixes them. {FIXES[role].format(root=root)}"
    if None in kinds:
        fix += "; for snapshots without provenance, " + LABEL_HINT.format(root=root) + " [--simulated]"
    if len(kinds) > 1:
        held = "; ".join(text for texts in kinds.values() for text in texts)
        raise StoreConflictError(f"{root} mixes kinds of option snapshots: {held}. {fix}")
    if incoming is not None and kinds and incoming.kind not in kinds:
        held = "; ".join(next(iter(kinds.values())))
        raise StoreConflictError(f"{root} holds {held}; this run brings {incoming.describe()}. {fix}")
    return groups


def partition_metadata(provenance: Provenance, snapshot_date) -> dict[str, str]:
    """What a partition records beside its quotes: their provenance and their date."""
    return {PROVENANCE_KEY: provenance.to_json(), DATE_KEY: f"{snapshot_date:%Y-%m-%d}"}


def _write_partition(part: pl.DataFrame, path: Path, provenance: Provenance) -> Path:
    """Write one snapshot's quotes (in contract order, as `_by_date` gives them) atomically."""
    return write_parquet(part, path, metadata=partition_metadata(provenance, part["snapshot_date"][0]))


def _by_date(chains: pl.DataFrame) -> Iterable[tuple[object, pl.DataFrame]]:
    """Each snapshot date's quotes, sorted by contract (one sort for all of them)."""
    for (snapshot_date,), part in chains.sort(contract_key(chains)).group_by("snapshot_date", maintain_order=True):
        yield snapshot_date, part


def write_snapshots(
    chains: pl.DataFrame, root: str | Path, provenance: Provenance, replace: bool = False, role: str = "store"
) -> StoreWrite:
    """Append: validate, check the kind, then write the partition of each valid snapshot date in `chains` (and
    only those) unless the stored one is better and `replace` is off. Days refused or outclassed are kept aside
    (`keep_aside`); SnapshotRefusedError, after the others are written, when a day was refused."""
    chains = deduplicated(validate(chains, OptionChainSchema, f"option chains for {root}"))
    check_one_kind(root, provenance, role)
    report = StoreWrite()
    for snapshot_date, part in _by_date(chains):
        problems = snapshot_problems(part)
        if problems:
            aside = keep_aside(part, root, snapshot_date, provenance)
            report.refused[f"{snapshot_date}"] = f"{'; '.join(problems)} (kept aside as {aside})"
            continue
        path = partition_path(root, snapshot_date)
        stored = _stored_quality(path)
        new = snapshot_quality(part)
        if stored is not None and not replace and not new.at_least_as_good_as(stored):
            aside = keep_aside(part, root, snapshot_date, provenance)
            why = (f"kept the stored {snapshot_date} snapshot ({stored.describe()}): this fetch's is not as good "
                   f"on every count ({new.describe()}); it is kept aside as {aside}; replace the stored one with "
                   "data.replace_snapshots=true")  # fmt: skip
            log.warning(why)
            report.kept[f"{snapshot_date}"] = why
            continue
        report.written.append(_write_partition(part, path, provenance))
    if report.refused:
        listed = "; ".join(f"{day}: {why}" for day, why in report.refused.items())
        written = f"; {len(report.written)} other day(s) filed" if report.written else ""
        raise SnapshotRefusedError(f"{root}: refused {len(report.refused)} option snapshot(s): {listed}{written}")
    return report


def keep_aside(part: pl.DataFrame, root: str | Path, snapshot_date, provenance: Provenance) -> Path:
    """Write a refused or outclassed candidate to <root>/rejected/snapshot_date=YYYY-MM-DD/candidate-<n>.parquet
    (a new n each time, never over anything); its path."""
    folder = Path(root) / REJECTED / f"snapshot_date={snapshot_date:%Y-%m-%d}"
    number = len(list(folder.glob("candidate-*.parquet"))) + 1 if folder.exists() else 1
    return _write_partition(part, folder / f"candidate-{number}.parquet", provenance)


def _stored_quality(path: Path):
    """Quality of a stored partition; None if there is none. A damaged one is moved aside (kept for inspection
    as chain.parquet.damaged) so the day's new snapshot can take its place."""
    if not path.exists():
        return None
    try:
        return snapshot_quality(pl.read_parquet(path))
    except Exception as exc:  # polars raises several error types for damaged files
        aside = path.with_name(f"{PARTITION_FILE}.damaged")
        log.warning("%s is unreadable (%s: %s); moved to %s", path, type(exc).__name__, exc, aside.name)
        path.replace(aside)
        return None


def replace_store(chains: pl.DataFrame, root: str | Path, provenance: Provenance) -> int:
    """Rebuild the whole store from a simulated history, swapped in atomically; refused when the store holds
    real snapshots. Returns the number of snapshot dates written."""
    if not provenance.simulated:
        raise ConfigError("only a simulated history may rebuild the snapshot store")
    chains = deduplicated(validate(chains, OptionChainSchema, f"option chains for {root}"))
    real = {p: paths for p, paths in inventory(root).items() if p is None or not p.simulated}
    if real:
        held = "; ".join(_describe(p, paths) for p, paths in real.items())
        hint = f"; if they are simulated, {LABEL_HINT.format(root=root)} --simulated" if None in real else ""
        raise StoreConflictError(
            f"{root} holds {held}; {provenance.describe()} would replace the whole store, and real snapshots "
            f"cannot be fetched again. Move the store aside (mv {root} {root}.real) or give the simulated source "
            f"its own store (-S paths.options_store={root}_simulated){hint}"
        )

    def write(staging: Path, snapshot_date, part: pl.DataFrame) -> None:
        path = partition_path(staging, snapshot_date)
        path.parent.mkdir()
        # Not `_write_partition`'s atomic write: the staging folder is swapped in whole, so no file is seen half
        # written, and the atomic write's umask read (set and restore) must not run in several threads at once.
        part.write_parquet(path, metadata=partition_metadata(provenance, snapshot_date))

    def build(staging: Path) -> None:
        # One writer per core: polars writes without holding the GIL (4,500 files in 4 s instead of 7.5 s here).
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            for written in [pool.submit(write, staging, day, part) for day, part in _by_date(chains)]:
                written.result()

    replace_dir(build, root)
    return chains["snapshot_date"].n_unique()


def scan_snapshots(root: str | Path, expected: Provenance | None = None) -> pl.LazyFrame:
    """Lazy frame over every readable partition, after checking the store holds one kind (and `expected`'s)."""
    files = sorted(path for paths in check_one_kind(root, expected).values() for path in paths)
    if not files:
        raise FileNotFoundError(f"{root}: option snapshot store is empty (run the fetch stage first)")
    columns: dict[str, pl.DataType] = {}
    for path in files:  # partitions filed before a column existed (the root) read it as missing
        columns.update(pl.read_parquet_schema(path))
    return pl.scan_parquet(files, schema=columns, hive_partitioning=False, missing_columns="insert")


def read_snapshots(root: str | Path, expected: Provenance | None = None) -> pl.DataFrame:
    """All readable snapshots, validated against OptionChainSchema."""
    return validate(scan_snapshots(root, expected).collect(), OptionChainSchema, root)


def label_partitions(root: str | Path, provenance: Provenance) -> int:
    """Record `provenance` in every partition that has none (the quotes are rewritten unchanged, atomically);
    returns how many were labelled."""
    unlabelled = inventory(root).get(None, [])
    for path in unlabelled:
        quotes = pl.read_parquet(path)
        _write_partition(quotes.sort(contract_key(quotes)), path, provenance)
    return len(unlabelled)
