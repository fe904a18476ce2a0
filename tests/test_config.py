"""Config: params.yaml is the composition of conf/, and every config option composes into a usable config."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from conftest import REPO_ROOT
from spyglass.config import compose, composed_yaml, load_config, select_ticker, split_tickers, to_plain
from spyglass.models.base import build_estimator
from spyglass.strategy.allocation import SIZING_METHODS


def test_params_yaml_equals_the_composition_of_conf(repo_root):
    committed = OmegaConf.to_container(OmegaConf.load(repo_root / "params.yaml"))
    assert committed == to_plain(compose([], repo_root / "conf")), "params.yaml drifted: run `make params`"


def test_composed_yaml_round_trips(repo_root):
    text = composed_yaml(["allocation.max_position=1.5"], repo_root / "conf")
    assert OmegaConf.create(text).allocation.max_position == 1.5


def option_names(repo_root, group: str) -> list[str]:
    return sorted(p.stem for p in (repo_root / "conf" / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["data", "tuning", "allocation", "backtest", "meta", "cv", "features", "paths",
                                   "target", "comparison"])  # fmt: skip
def test_every_option_of_every_group_composes(repo_root, group):
    for option in option_names(repo_root, group):
        cfg = to_plain(compose([f"{group}={option}"], repo_root / "conf"))
        assert cfg[group], f"{group}={option} composed to an empty section"


def test_every_model_config_builds_its_estimator(repo_root):
    cfg = to_plain(compose([], repo_root / "conf"))
    assert set(cfg["model"]) == set(option_names(repo_root, "model"))
    for name, model_cfg in cfg["model"].items():
        estimator = build_estimator(model_cfg["factory"], model_cfg["params"], seed=0)
        assert hasattr(estimator, "fit") and hasattr(estimator, "predict"), name
    assert set(cfg["comparison"]["sizings"]) <= set(SIZING_METHODS)


def test_model_group_selects_a_subset_and_keys_override(repo_root):
    cfg = to_plain(compose(["model=[xgboost]", "model.xgboost.params.max_depth=5"], repo_root / "conf"))
    assert list(cfg["model"]) == ["xgboost"]
    assert cfg["model"]["xgboost"]["params"]["max_depth"] == 5


def test_experiment_debug_preset_shortens_the_run(repo_root):
    default = to_plain(compose([], repo_root / "conf"))
    debug = to_plain(compose(["experiment=debug"], repo_root / "conf"))
    assert debug["data"]["start"] > default["data"]["start"]
    assert debug["tuning"]["n_trials"] < default["tuning"]["n_trials"]


def test_load_config_reads_params_yaml_without_overrides_and_composes_with_them(repo_root, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("seed: 7\ndata: {source: sample}\nportfolio: {A: {ticker: AAA}}\npaths: {prices: p.parquet}\n")
    assert load_config([], params, repo_root / "conf").seed == 7
    assert load_config(["seed=9"], params, repo_root / "conf").seed == 9


def test_a_ticker_of_the_portfolio_gets_its_settings_and_its_own_paths(repo_root, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(
        "data: {source: sample, dividend_yield: 0.01}\n"
        "portfolio: {A: {ticker: AAA}, B: {ticker: BBB, dividend_yield: 0.02}}\n"
        "paths: {prices: data/raw/prices.parquet, snapshot_archive: archive/options}\n"
        "tuning: {storage: data/models/optuna.journal}\n"
    )
    first = load_config([], params, repo_root / "conf")
    assert (first.data.name, first.data.ticker, first.data.dividend_yield) == ("A", "AAA", 0.01)
    second = load_config([], params, repo_root / "conf", ticker="B")
    assert (second.data.ticker, second.data.dividend_yield) == ("BBB", 0.02)
    assert second.paths.prices == "tickers/B/data/raw/prices.parquet"
    assert second.paths.snapshot_archive == "archive/options/B"  # the archive folder always exists (DVC dep)
    assert second.tuning.storage == "tickers/B/data/models/optuna.journal"  # a journal file is the ticker's own
    with pytest.raises(ValueError, match="'C' is not in the portfolio; its entries: A, B"):
        load_config([], params, repo_root / "conf", ticker="C")


def test_a_portfolio_without_entries_or_an_entry_without_a_ticker_is_a_clear_error():
    cfg = {"data": {"source": "sample"}, "paths": {}}
    with pytest.raises(ValueError, match="the portfolio is empty"):
        select_ticker({**cfg, "portfolio": {}})
    with pytest.raises(ValueError, match=r"portfolio entry 'QQQ' names no ticker \(portfolio.QQQ.ticker\)"):
        select_ticker({**cfg, "portfolio": {"QQQ": {"dividend_yield": 0.006}}})


def test_ticker_flags_are_told_apart_from_hydra_overrides():
    assert split_tickers(["--ticker", "QQQ", "seed=3", "--ticker=IWM"]) == (["QQQ", "IWM"], ["seed=3"])
    assert split_tickers(["data=synthetic"]) == ([], ["data=synthetic"])


def test_every_source_has_a_portfolio_and_the_sample_offers_two_indices(repo_root):
    for source in ("sample", "synthetic", "yfinance", "csv", "kaggle", "cboe"):
        cfg = to_plain(compose([f"data={source}"], repo_root / "conf"))
        assert cfg["portfolio"] and all("ticker" in entry for entry in cfg["portfolio"].values()), source
    both = to_plain(compose(['+portfolio.IXIC.ticker="^IXIC"'], repo_root / "conf"))
    assert {name: e["ticker"] for name, e in both["portfolio"].items()} == {"GSPC": "^GSPC", "IXIC": "^IXIC"}


def test_config_module_prints_the_composition(repo_root):
    out = subprocess.run(
        [sys.executable, "-m", "spyglass.config", "backtest.cost_bps=9"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert OmegaConf.create(out).backtest.cost_bps == 9


def build_allocation(cfg: dict, market) -> int:
    from spyglass.strategy.allocation import SizingPlan, get_allocations, rebalance_schedule

    dates = market.prices["date"].iloc[-300:]
    predictions = pd.DataFrame({"date": dates, "prediction": np.linspace(-2e-4, 4e-4, len(dates))})
    rows = 0
    for sizing in [*cfg["comparison"]["sizings"], None]:
        plan = SizingPlan(sizing, 21, rebalance_schedule(cfg["allocation"]["rebalance"], 21))
        allocations = get_allocations(predictions, market.prices, cfg["allocation"], plan)
        bounds = cfg["allocation"]["min_position"], cfg["allocation"]["max_position"]
        assert allocations["allocation"].between(*bounds).all()
        rows += len(allocations)
    return rows


def build_target(cfg: dict, market) -> int:
    from spyglass.features.targets import horizons
    from spyglass.features.technical import ta_feature_table

    table = ta_feature_table(market.prices, cfg["features"]["technical"], 0.0, horizons(cfg["target"]["horizon_days"]))
    return sum(column.startswith("target_ret_") for column in table)


def build_comparison(cfg: dict, market) -> int:
    from spyglass.backtest.verdict import RuleSettings
    from spyglass.models.feature_sets import feature_sets

    RuleSettings.from_config(cfg["comparison"], cfg["seed"])
    return len(feature_sets(cfg["comparison"]["feature_sets"]))


def build_tuned_model(cfg: dict, market) -> int:
    from spyglass.models.cv import walk_forward_splits
    from spyglass.models.oof import fit_base_model
    from spyglass.models.training import base_model_specs
    from spyglass.models.tuning import TuningSpec

    tuning = cfg["tuning"] | {"n_trials": min(cfg["tuning"]["n_trials"], 2)}
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 5)), rng.normal(0, 0.01, 400)
    spec = next(s for s in base_model_specs(cfg) if s.name == "elasticnet")
    search = (
        TuningSpec(tuning["n_trials"], 2, 1, 5, None, bool(tuning["prune"]))
        if "elasticnet" in tuning["models"]
        else None
    )
    result = fit_base_model(spec, x, y, walk_forward_splits(400, 2, 200, 5, 1), 0, search)
    assert np.isfinite(result.oof[-100:]).all()
    return len(result.trials)


def build_market(cfg: dict, market) -> int:
    from spyglass.data import load_market_data

    loaded = load_market_data(cfg["data"] | {"start": "2012-01-03", "end": "2014-12-31"}, cfg["seed"])
    assert loaded.chains is not None and loaded.chains.height > 0 and loaded.vol_indices is not None
    return len(loaded.prices)


def build_folds(cfg: dict, market) -> int:
    from spyglass.models.training import outer_folds

    return len(outer_folds(2000, cfg["cv"]))


def build_stack(cfg: dict, market) -> int:
    from spyglass.models.meta import stacked_predictions

    rng = np.random.default_rng(1)
    target = rng.normal(0, 0.01, 600)
    oof = pd.DataFrame({"date": pd.bdate_range("2015-01-01", periods=600), "target": target,
                        "pred_a": target + rng.normal(0, 0.02, 600), "pred_b": rng.normal(0, 0.01, 600)})  # fmt: skip
    return len(
        stacked_predictions(oof, cfg["meta"] | {"min_train": 200}, cfg["cv"]["gap"], cfg["cv"]["embargo"], 5).oof
    )


def build_backtest(cfg: dict, market) -> int:
    from spyglass.backtest.engine import run_backtest

    allocations = pd.DataFrame({"date": market.prices["date"].iloc[-50:], "allocation": 1.0})
    costs = cfg["backtest"]
    daily = run_backtest(allocations, market.prices, costs["cost_bps"], 0.0, costs["slippage_bps"])
    return len(daily)


def build_features(cfg: dict, market) -> int:
    from spyglass.features.technical import ta_feature_table

    return len(ta_feature_table(market.prices, cfg["features"]["technical"], cfg["data"]["risk_free_rate"]))


def build_paths(cfg: dict, market) -> int:
    name = cfg["data"]["name"]
    roots = (*(f"tickers/{name}/{root}" for root in ("data/", "metrics", "plots", "reports")), "archive/")
    assert all(str(path).startswith(roots) for path in cfg["paths"].values()), cfg["paths"]
    return len(cfg["paths"])


BUILDERS = {"allocation": build_allocation, "tuning": build_tuned_model, "cv": build_folds, "meta": build_stack,
            "backtest": build_backtest, "features": build_features, "paths": build_paths, "target": build_target,
            "comparison": build_comparison}  # fmt: skip
OFFLINE_SOURCES = ["sample", "synthetic"]  # csv, kaggle and yfinance need files or recordings: tests/data/


@pytest.mark.parametrize(
    ("group", "option"),
    [(group, p.stem) for group in BUILDERS for p in sorted((REPO_ROOT / "conf" / group).glob("*.yaml"))]
    + [("data", source) for source in OFFLINE_SOURCES],
)
def test_every_config_option_builds_something_real(repo_root, synthetic_market, group, option):
    cfg = select_ticker(to_plain(compose([f"{group}={option}"], repo_root / "conf")))
    builder = build_market if group == "data" else BUILDERS[group]
    built = builder(cfg, synthetic_market)
    if (group, option) == ("tuning", "none"):
        assert built == 0  # no search: fixed params, no trials
    else:
        assert built > 0, f"{group}={option} built nothing"
