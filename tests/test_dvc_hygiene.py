"""DVC must hash the project's sources only: compiled caches beside them would change a stage's dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from stage_deps import import_closure, with_stage_deps

from spyglass.pipeline import STAGES


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


def code_deps(stage: dict, repo_root: Path) -> set[Path]:
    """The Python files a stage's dvc.yaml deps cover (directories expanded), relative to the repo."""
    covered: set[Path] = set()
    for dep in stage["deps"]:
        path = repo_root / dep
        if dep.startswith(("src/", "stages/")):
            files = path.rglob("*.py") if path.is_dir() else [path]
            covered |= {file.relative_to(repo_root) for file in files}
    return covered


def dvc_stages(repo_root: Path) -> dict[str, dict]:
    """Each stage's definition (a stage repeated over the portfolio: its template)."""
    return {
        name: stage.get("do", stage)
        for name, stage in yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"].items()
    }


@pytest.mark.parametrize("name", STAGES)
def test_stage_deps_are_exactly_the_code_it_runs(repo_root, name):
    """Every spyglass module a stage script can execute is a dependency (so editing it reruns the stage), and no
    other code is (so editing, say, the meta-learner reruns train_meta only)."""
    script = repo_root / "stages" / f"{name}.py"
    runs = {p.relative_to(repo_root) for p in import_closure(script, repo_root / "src")} | {Path(f"stages/{name}.py")}
    declared = code_deps(dvc_stages(repo_root)[name], repo_root)
    assert not runs - declared, f"{name} runs code dvc.yaml does not list: {sorted(map(str, runs - declared))}"
    assert not declared - runs, f"{name} lists code it never runs: {sorted(map(str, declared - runs))}"


def test_the_stage_deps_are_what_make_deps_writes(repo_root):
    """dvc.yaml's code dependencies are generated (`make deps`, tools/stage_deps.py): running it changes nothing."""
    text = (repo_root / "dvc.yaml").read_text()
    assert with_stage_deps(text, repo_root) == text, "dvc.yaml's code dependencies are stale: run `make deps`"


def test_make_deps_rewrites_a_stale_list_in_place(repo_root):
    text = (repo_root / "dvc.yaml").read_text()
    stale = text.replace("        - src/spyglass/options/smile.py\n", "", 1).replace(
        "        - src/spyglass/app/", "        - src/spyglass/not_run_by_anyone.py\n        - src/spyglass/app/", 1
    )
    assert stale != text and with_stage_deps(stale, repo_root) == text


def test_dvc_yaml_runs_the_pipelines_stages_in_its_order(repo_root):
    """spyglass.pipeline.STAGES is the shape every other place reads: dvc.yaml must be it, in order."""
    assert tuple(dvc_stages(repo_root)) == STAGES
    assert sorted(path.stem for path in (repo_root / "stages").glob("*.py")) == sorted(STAGES)


def test_running_the_compiled_kernels_leaves_the_stage_hashes_alone(repo_root, tmp_path):
    """numba compiles (and caches) the options kernels on first use; neither that nor Python's bytecode may
    change what DVC hashes for a stage: its source files are listed as before and after."""
    from dvc.repo import Repo

    def dependency_hashes() -> dict[str, str]:
        with Repo(str(repo_root)) as repo:
            stage = next(s for s in repo.index.stages if s.name.startswith("options_features@"))
            return {str(dep): dep.get_hash().value for dep in stage.deps if str(dep).startswith("src")}

    before = dependency_hashes()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "NPY_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path)  # a cold numba cache: the kernels compile and write cache files
    kernels = (
        "import numpy as np; from spyglass.options.black_scholes import bs_greeks; "
        "bs_greeks(np.array([100.0]), np.array([100.0]), np.array([0.1]), 0.0, 0.0, np.array([0.2]), np.array([True]))"
    )
    subprocess.run([sys.executable, "-c", kernels], cwd=repo_root, env=env, check=True)
    assert list((tmp_path / "spyglass" / "numba").rglob("*.nbi")), "numba wrote no cache where spyglass.runtime says"
    assert dependency_hashes() == before
