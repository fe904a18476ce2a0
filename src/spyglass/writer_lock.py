"""One writer at a time per ticker: the fetch stage and the daily run both write the snapshot archive, the store
(swapped whole) and, for the daily run, the signal journal (read, then rewritten). Two at once (cron and a run by
hand) would lose updates, so each holds the ticker's writer lock (`paths.writer_lock`, an OS file lock from the
`filelock` package: released by the kernel if the holder dies) for as long as it reads and writes them. A run
that finds it held waits up to `writer_lock_timeout` seconds, then stops in one line naming who holds it since
when, having written nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from spyglass.errors import UserError


class WriterBusyError(UserError, RuntimeError):
    """Another run kept the ticker's writer lock past the timeout; nothing was written."""


def _owner_file(lock_path: Path) -> Path:
    return lock_path.with_name(f"{lock_path.name}.owner")


@contextmanager
def exclusive_writer(lock_path: str | Path, timeout: float, what: str, purpose: str) -> Iterator[None]:
    """Hold the writer lock at `lock_path` (waiting up to `timeout` seconds) while the body runs; `what` names the
    data guarded and `purpose` this run (both for the message another run gets)."""
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise WriterBusyError(
            f"another run is writing {what} ({_holder(lock_path)}); waited {timeout:g} s (writer_lock_timeout) and "
            "wrote nothing: run again when it has ended"
        ) from None
    try:
        owner = {"pid": os.getpid(), "since": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                 "purpose": purpose}  # fmt: skip
        _owner_file(lock_path).write_text(json.dumps(owner))
        yield
    finally:
        _owner_file(lock_path).unlink(missing_ok=True)
        lock.release()


def _holder(lock_path: Path) -> str:
    try:
        owner = json.loads(_owner_file(lock_path).read_text())
        return f"{owner['purpose']}, pid {owner['pid']}, since {owner['since']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"
