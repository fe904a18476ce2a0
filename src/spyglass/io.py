"""Atomic writes: a reader sees the old file or the new one, never half of one; a failure leaves the old one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from spyglass.schemas import validate
from spyglass.stage_clock import step


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename, on error it is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with step("write"):
            yield tmp
            tmp.chmod(0o666 & ~_umask())  # mkstemp creates 0600; give the file the permissions open() would
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frame: pd.DataFrame | pl.DataFrame, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Write a pandas or polars frame to parquet atomically (polars frames may carry key-value `metadata`)."""
    with atomic_path(path) as tmp:
        if isinstance(frame, pl.DataFrame):
            frame.write_parquet(tmp, metadata=metadata)
        elif metadata:
            raise TypeError("parquet metadata is written for polars frames only")
        else:
            frame.to_parquet(tmp, index=False)
    return Path(path)


def json_text(payload: Any) -> str:
    """Stable JSON text (sorted keys, 2-space indent); numpy scalars and timestamps become plain values."""
    return json.dumps(payload, indent=2, sort_keys=True, default=_json_default) + "\n"


def write_json(payload: Any, path: str | Path) -> Path:
    """Write JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json_text(payload))
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_with(writer: Callable[[Path], None], path: str | Path) -> Path:
    """Call `writer(tmp_path)` and move the result onto `path` atomically (for joblib, csv, ...)."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def replace_dir(build: Callable[[Path], None], path: str | Path) -> Path:
    """Build a directory in a temporary sibling, then swap it in; the old directory survives any failure."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staging.chmod(0o777 & ~_umask())
        with step("write"):
            build(staging)
        backup = target.with_name(f".{target.name}.old")
        if target.exists():
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
        os.replace(staging, target)
        shutil.rmtree(backup, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_table(path: str | Path, schema: type) -> pd.DataFrame:
    """Read a parquet table written by an earlier stage and validate it; errors name the file."""
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"{source}: not found (run the stage that writes it first: `dvc repro`)")
    with step("load"):
        return validate(pd.read_parquet(source), schema, source)
