"""The console entry points pyproject.toml declares: each names a function that exists, and the installed script
runs it (the Makefile calls them)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

SCRIPTS = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["scripts"]


@pytest.mark.parametrize(("script", "target"), SCRIPTS.items())
def test_each_script_names_a_function(script, target):
    module, _, function = target.partition(":")
    assert script.startswith("spyglass-") and callable(getattr(importlib.import_module(module), function))


def test_an_installed_script_runs_its_function(repo_root):
    script = Path(sys.executable).parent / "spyglass-params"
    done = subprocess.run([str(script), "seed=7"], cwd=repo_root, capture_output=True, text=True, check=True)
    assert "seed: 7" in done.stdout.splitlines()


def test_the_makefile_calls_the_scripts(repo_root):
    makefile = (repo_root / "Makefile").read_text()
    for script in ("spyglass-daily", "spyglass-app", "spyglass-report", "spyglass-timings", "spyglass-params"):
        assert f"$(BIN)/{script}" in makefile
    assert "python -m spyglass" not in makefile
