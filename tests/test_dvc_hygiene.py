"""DVC must hash the project's sources only: compiled caches beside them would change a stage's dependencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "cache_file",
    ["src/spyglass/options/__pycache__/chain.cpython-312.pyc",
     "src/spyglass/options/__pycache__/exposure._profile_kernel-93.py312.nbi",
     "src/spyglass/options/__pycache__/exposure._profile_kernel-93.py312.1.nbc"],
)  # fmt: skip
def test_compiled_caches_are_ignored_by_dvc(repo_root, cache_file):
    dvc = Path(sys.executable).parent / "dvc"
    done = subprocess.run([str(dvc), "check-ignore", cache_file], cwd=repo_root, capture_output=True, text=True)
    assert done.returncode == 0 and cache_file in done.stdout
