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
from spyglass.backtest.engine import backtest_with_benchmarks
from spyglass.backtest.report import backtest_summary
from spyglass.data.store import replace_store
from spyglass.features.technical import ta_feature_table
from spyglass.io import write_json, write_parquet
from spyglass.models.registry import save_models
from spyglass.pipeline import base_model_predictions, options_feature_table, stacked_predictions
from spyglass.strategy.allocation import get_allocations

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(scope="session")
def artifacts_root(tmp_path_factory, synthetic_market, small_cfg):
    """A pipeline run on the small synthetic data, written where the app looks for it."""
    root = tmp_path_factory.mktemp("repo")
    cfg, paths = small_cfg, small_cfg["paths"]
    options, analytics = options_feature_table(synthetic_market.chains, cfg["data"], cfg["features"]["options"])
    ta = ta_feature_table(synthetic_market.prices, cfg["features"]["technical"], cfg["data"]["risk_free_rate"])
    base = base_model_predictions(ta, options, cfg)
    meta = stacked_predictions(base.oof, cfg["meta"], cfg["cv"]["gap"], cfg["cv"]["embargo"])
    allocations = get_allocations(meta.oof, synthetic_market.prices, cfg["allocation"])
    daily = backtest_with_benchmarks(allocations, synthetic_market.prices, 2.0, cfg["data"]["risk_free_rate"])
    write_parquet(synthetic_market.prices, root / paths["prices"])
    replace_store(synthetic_market.chains, root / paths["options_store"])
    write_parquet(options, root / paths["options_features"])
    for name, table in (("by_strike", analytics.latest_by_strike), ("by_expiry", analytics.latest_by_expiry),
                        ("gamma_profile", analytics.latest_profile)):  # fmt: skip
        write_parquet(table, root / paths["options_latest"] / f"{name}.parquet")
    write_parquet(allocations, root / paths["allocations"])
    write_parquet(daily, root / paths["backtest_daily"])
    write_json(backtest_summary(daily, 2.0), root / paths["metrics_dir"] / "backtest.json")
    (root / paths["base_dir"]).mkdir(parents=True)
    save_models(root / paths["base_dir"], {n: r.final_model for n, r in base.models.items()}, base.manifest)
    joblib.dump({"model": meta.model, "inputs": meta.inputs}, root / paths["meta_model"])
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
