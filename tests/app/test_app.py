"""The app: chart builders, the signal and live scoring on artifacts built here, and its API via gradio_client."""

from __future__ import annotations

import os
import socket

import joblib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from spyglass.app import charts
from spyglass.app.main import build_app, metrics_table, signal_markdown
from spyglass.app.scoring import EMPTY_STATE, day_allocation, latest_signal, live_score, load_artifacts
from spyglass.backtest.engine import backtest_with_benchmarks
from spyglass.backtest.report import backtest_summary
from spyglass.data.store import replace_store
from spyglass.features.technical import ta_feature_table
from spyglass.io import write_json, write_parquet
from spyglass.models.registry import save_models
from spyglass.pipeline import base_model_predictions, options_feature_table, stacked_predictions
from spyglass.strategy.allocation import get_allocations

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


@pytest.fixture(scope="module")
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


def test_chart_builders_return_figures_with_their_series(synthetic_market):
    prices = synthetic_market.prices
    allocations = pd.DataFrame({"date": prices["date"].iloc[-50:], "allocation": np.linspace(0, 2, 50)})
    fig = charts.allocation_with_price(allocations, prices)
    assert isinstance(fig, Figure) and len(fig.axes) == 2 and len(fig.axes[0].lines[0].get_xdata()) == 50
    profile = pd.DataFrame({"spot_level": [90.0, 100.0, 110.0], "gex_usd_per_pct": [-1.0, 0.5, 2.0]})
    assert fig.axes and charts.gamma_profile(profile, 100.0).axes[0].get_title().startswith("Dealer gamma")
    by_strike = pd.DataFrame(
        {
            "strike": [95.0, 100.0, 105.0],
            "call_gex_usd_per_pct": [1.0, 2.0, 3.0],
            "put_gex_usd_per_pct": [-3.0, -2.0, -1.0],
            "gex_usd_per_pct": [-2.0, 0.0, 2.0],
        }
    )
    gex = charts.gamma_by_strike(by_strike, 100.0, 99.5, 105.0, 95.0)
    labels = [line.get_label() for line in gex.axes[0].lines]
    assert {"net", "spot 100", "gamma flip 100", "call wall 105", "put wall 95"} <= set(labels)


def test_signal_and_empty_state(artifacts_root, small_cfg, tmp_path):
    signal = latest_signal(load_artifacts(small_cfg["paths"], artifacts_root))
    assert signal["date"] == "2014-12-31" and 0 <= signal["allocation"] <= 2
    assert "allocation **" in signal_markdown(signal)
    empty = latest_signal(load_artifacts(small_cfg["paths"], tmp_path))
    assert empty == {"message": EMPTY_STATE} and "make run" in signal_markdown(empty)
    assert metrics_table(None)["metric"].tolist() == [EMPTY_STATE]


def test_one_day_allocation_follows_the_pipeline_rules(synthetic_market, small_cfg):
    cfg = {**small_cfg["allocation"], "smoothing_halflife": 1}
    day = day_allocation(0.001, synthetic_market.prices, previous=0.5, cfg=cfg)
    variance = (day["vol_estimate"] ** 2) / 252
    assert day["allocation_raw"] == pytest.approx(cfg["kelly_fraction"] * 0.001 / variance)
    clipped = min(max(day["allocation_raw"], 0.0), 2.0)
    assert day["allocation"] == pytest.approx(0.5 + 0.5 * (clipped - 0.5))


def test_live_scoring_offline_and_a_failed_refresh(artifacts_root, small_cfg):
    result = live_score(small_cfg, artifacts_root)
    assert result["date"] == "2014-12-31" and "data=synthetic" in result["source"]
    assert set(result["base_predictions"]) == {"elasticnet", "xgboost", "lightgbm"}
    failed = live_score({**small_cfg, "data": {**small_cfg["data"], "source": "csv"}}, artifacts_root)
    assert failed["message"].startswith("Refresh failed (csv): data=csv needs data.prices_path")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_app_api_through_gradio_client(artifacts_root, small_cfg):
    from gradio_client import Client

    app = build_app(small_cfg, artifacts_root)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=False)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        signal, status = client.predict(api_name="/refresh")
        assert "2014-12-31" in signal and "Scored 2014-12-31" in status
        dates = sorted(p.name for p in (artifacts_root / small_cfg["paths"]["options_store"]).iterdir())
        expiry, *plots = client.predict(dates[-1].removeprefix("snapshot_date="), api_name="/options")
        assert len(plots) == 4 and all(plot is not None for plot in plots)
        assert expiry["value"] == expiry["choices"][0][0]  # the dropdown moves to the snapshot's first expiry
        assert len(expiry["choices"]) == len(small_cfg["data"]["chains"]["expiry_days"])
    finally:
        app.close()
