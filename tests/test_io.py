"""Atomic writes: a failure mid-write leaves the previous file or directory exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from spyglass.io import atomic_path, read_table, replace_dir, write_json, write_parquet
from spyglass.schemas import DataValidationError, PricesSchema


def test_write_parquet_round_trips_and_leaves_no_temp_files(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    path = write_parquet(frame, tmp_path / "sub" / "x.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.parquet"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "x.json"
    write_json({"v": 1}, path)
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert path.read_text().strip().replace(" ", "").replace("\n", "") == '{"v":1}'
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_written_files_get_normal_permissions(tmp_path):
    path = write_json({}, tmp_path / "x.json")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_replace_dir_swaps_whole_and_survives_a_failed_build(tmp_path):
    target = tmp_path / "models"

    def build(files):
        def write(directory):
            for name in files:
                (directory / name).write_text(name)

        return write

    replace_dir(build(["a", "b"]), target)
    replace_dir(build(["c"]), target)
    assert sorted(p.name for p in target.iterdir()) == ["c"]

    def broken(directory):
        (directory / "partial").write_text("x")
        raise OSError("disk full")

    with pytest.raises(OSError):
        replace_dir(broken, target)
    assert sorted(p.name for p in target.iterdir()) == ["c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]


def test_read_table_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.parquet.*dvc repro"):
        read_table(tmp_path / "nope.parquet", PricesSchema)


def test_read_table_validates_and_names_the_file(tmp_path):
    path = write_parquet(pd.DataFrame({"date": pd.to_datetime(["2020-01-01"]), "close": [1.0]}), tmp_path / "p.parquet")
    with pytest.raises(DataValidationError, match=r"p\.parquet.*\n.*missing column\(s\): open"):
        read_table(path, PricesSchema)


FLOOR = {"spyglass", "spyglass.runtime", "spyglass.errors", "spyglass.stage_clock", "spyglass.schemas"}


@pytest.mark.parametrize(("module", "pulls"), [
    ("spyglass.stage_clock", {"spyglass", "spyglass.runtime", "spyglass.stage_clock"}),
    ("spyglass.schemas", FLOOR),
    ("spyglass.io", FLOOR | {"spyglass.io"}),
    ("spyglass.timing", FLOOR | {"spyglass.io", "spyglass.pipeline", "spyglass.timing"}),
])  # fmt: skip
def test_the_floor_imports_only_what_is_under_it(module, pulls):
    """No circle at the floor: the step clock needs nothing, the schemas the clock, the I/O helpers the schemas,
    the timing reports the I/O helpers (each in a fresh interpreter, so nothing is loaded before)."""
    code = f"import sys, {module}; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'spyglass')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(done.stdout.split()) == pulls
