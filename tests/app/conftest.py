"""Fixtures for the app's tests: artifacts of a small pipeline run, and the app served on a free local port."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import joblib
import pytest

from spyglass.app.main import build_app
from spyglass.backtest.report import backtest_summary
from spyglass.data import snapshot_provenance
from spyglass.data.store import replace_store
from spyglass.io import write_json, write_parquet
from spyglass.models.registry import save_models

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(scope="session")
def artifacts_root(tmp_path_factory, synthetic_market, small_cfg, small_run):
    """A pipeline run on the small synthetic data, written where the app looks for it."""
    root = tmp_path_factory.mktemp("repo")
    cfg, paths, run = small_cfg, small_cfg["paths"], small_run
    write_parquet(synthetic_market.prices, root / paths["prices"])
    replace_store(synthetic_market.chains, root / paths["options_store"], snapshot_provenance(cfg["data"]))
    write_parquet(run.options, root / paths["options_features"])
    write_parquet(run.vol_index, root / paths["vol_index_features"])
    for name, table in (("by_strike", run.analytics.latest_by_strike), ("by_expiry", run.analytics.latest_by_expiry),
                        ("gamma_profile", run.analytics.latest_profile)):  # fmt: skip
        write_parquet(table, root / paths["options_latest"] / f"{name}.parquet")
    write_parquet(run.allocations, root / paths["allocations"])
    write_parquet(run.daily, root / paths["backtest_daily"])
    write_json(backtest_summary(run.daily, 2.0), root / paths["metrics_dir"] / "backtest.json")
    (root / paths["base_dir"]).mkdir(parents=True)
    save_models(root / paths["base_dir"], {n: r.final_model for n, r in run.base.models.items()}, run.base.manifest)
    joblib.dump({"model": run.meta.model, "inputs": run.meta.inputs}, root / paths["meta_model"])
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(cfg: dict, root: Path) -> Iterator[str]:
    """The app over the artifacts under `root`, served in this process on 127.0.0.1 (so tests can monkeypatch
    what it calls); yields its URL."""
    app = build_app(cfg, root)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture(scope="session")
def app_url(artifacts_root, small_cfg) -> Iterator[str]:
    with served(small_cfg, artifacts_root) as url:
        yield url


@pytest.fixture
def repo_before_first_run(tmp_path, small_cfg) -> Iterator[tuple[Path, str]]:
    """(an empty repo, the URL of the app over it): the test may write artifacts into it later."""
    with served(small_cfg, tmp_path) as url:
        yield tmp_path, url
