"""Shared fixtures: a composed config with tiny overrides, synthetic market data, the repo root."""

from __future__ import annotations

# isort: off
import spyglass  # noqa: F401  before numpy: tests compute with the stages' pinned numerics (spyglass.runtime)
# isort: on

import os
from contextlib import ExitStack
from pathlib import Path

# `make test` runs one pytest worker per core: threads beyond that only contend, and OpenMP's busy-waiting
# (XGBoost, LightGBM) then burns the other worker's core. Stage subprocesses inherit these.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import pandas as pd
import pytest

from clock import SWEEP_DATES, clock_at
from spyglass.config import compose, select_ticker, to_plain
from spyglass.data import load_market_data

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real market files shared beside the repository (never copied into it): CBOE's VIX history and an SPX chain.
SHARED_DATA = Path(os.environ.get("SPYGLASS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

# A short synthetic history: fast, yet long enough for calibration, warm-up and a few walk-forward folds.
SMALL_OVERRIDES = [
    "data=synthetic",
    "data.start=2010-01-04",
    "data.end=2014-12-31",
    "data.chains.calibration_days=500",
    "data.chains.weeklies=2",
    "data.chains.monthlies=3",
    "data.chains.quarterly_months=6",
    "data.chains.strikes_per_expiry=16",
    "cv.n_folds=3",
    "cv.min_train=200",
    "tuning.n_trials=2",
    "tuning.storage=null",
    "meta.n_folds=2",
    "meta.min_train=100",
    "model.xgboost.params.n_estimators=20",
    "model.lightgbm.params.n_estimators=20",
    "target.horizon_days=[1,5]",
    "comparison.bootstrap.reps=200",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-network", action="store_true", help="run tests that reach Yahoo")
    parser.addoption(
        "--clock",
        metavar="DATE",
        help="run the whole suite with the clock moved to DATE (15:00 UTC, ticking; subprocesses too)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--clock"):
        config.stash[_CLOCK] = ExitStack()
        config.stash[_CLOCK].enter_context(clock_at(config.getoption("--clock")))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLOCK in config.stash:
        config.stash[_CLOCK].close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `any_date` runs on the wall clock and on each sweep date (tests/clock.py)."""
    if metafunc.definition.get_closest_marker("any_date") and not metafunc.config.getoption("--clock"):
        metafunc.parametrize("_clock", [None, *SWEEP_DATES], indirect=True, ids=["wall-clock", *SWEEP_DATES])


@pytest.fixture(autouse=True)
def _clock(request: pytest.FixtureRequest):
    """The clock of an `any_date` test's run (tests/clock.py); the others keep the suite's clock."""
    when = getattr(request, "param", None)
    if when is None:
        yield
        return
    with clock_at(when):
        yield


_CLOCK = pytest.StashKey[ExitStack]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs the network; pass --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def shared_file(name: str) -> Path:
    """A file of ../shared/data; the test is skipped where it is absent, and fails instead in CI
    (SPYGLASS_REQUIRE_SHARED_DATA=1)."""
    path = SHARED_DATA / name
    if not path.exists():
        message = f"{path} is absent (real market data shared beside the repository)"
        if os.environ.get("SPYGLASS_REQUIRE_SHARED_DATA"):
            pytest.fail(message + "; SPYGLASS_REQUIRE_SHARED_DATA=1 requires it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def vix_csv() -> Path:
    """CBOE's VIX daily history (DATE, OPEN, HIGH, LOW, CLOSE), 1990-2026."""
    return shared_file("vix-daily.csv")


@pytest.fixture(scope="session")
def spx_quotedata() -> Path:
    """CBOE's delayed-quote SPX chain of 2022-12-12 (after the close; VIX closed at 25.00 that day)."""
    return shared_file("spx_quotedata_2022-12-12.csv")


@pytest.fixture(scope="session")
def spx_quotedata_rows(spx_quotedata) -> pd.DataFrame:
    """The SPX file's rows as CBOE writes them, read with pandas alone (calls' columns, then the puts' with a
    ".1" suffix), with the file's spot ("Last:") as column `spot`: for expectations independent of spyglass's
    reader."""
    frame = pd.read_csv(spx_quotedata, skiprows=3)
    frame["spot"] = float(spx_quotedata.read_text().splitlines()[1].split("Last:")[1].split(",")[0])
    return frame


@pytest.fixture(scope="session")
def small_cfg() -> dict:
    """The composed config (plain dicts) with SMALL_OVERRIDES applied, narrowed to its (only) ticker."""
    return select_ticker(to_plain(compose(SMALL_OVERRIDES, REPO_ROOT / "conf")))


@pytest.fixture(scope="session")
def synthetic_market(small_cfg: dict):
    return load_market_data(small_cfg["data"], small_cfg["seed"])


# The candidate the small run trains: every learner on every feature, a 5-day horizon (weekly rebalancing), the
# tilted vol target, adopted. Fixed, so tests of training, scoring and the app do not depend on what the rule picks
# on five synthetic years (tests/test_ablation.py checks the rule on `small_comparison`).
SMALL_CHOICE = {"adopted": True, "horizon_days": 5, "feature_set": "technical+index+chain", "sizing": "vol_tilt",
                "reason": "fixed for the tests"}  # fmt: skip


@pytest.fixture(scope="session")
def small_run(synthetic_market, small_cfg):
    """The whole pipeline on the small synthetic data, in memory, once per test session (SMALL_CHOICE)."""
    from helpers import run_pipeline
    from spyglass.strategy.choice import Choice

    return run_pipeline(synthetic_market, small_cfg, Choice(**SMALL_CHOICE))


@pytest.fixture(scope="session")
def small_comparison(small_run, synthetic_market, small_cfg):
    """The comparison of every candidate on the small synthetic data, and the rule's choice."""
    from spyglass.ablation import compare
    from spyglass.features.tables import FeatureTables

    tables = FeatureTables(small_run.ta, small_run.options, vol_index=small_run.vol_index)
    return compare(tables, synthetic_market.prices, small_cfg)


@pytest.fixture()
def prices(synthetic_market) -> pd.DataFrame:
    return synthetic_market.prices.copy()


@pytest.fixture(scope="session")
def artifacts_root(tmp_path_factory, synthetic_market, small_cfg, small_run):
    """A pipeline run on the small synthetic data, written where the stages would (the app and the daily run
    read it)."""
    from spyglass.backtest.report import backtest_summary
    from spyglass.backtest.verdict import RuleSettings, strategy_verdict
    from spyglass.data import snapshot_provenance
    from spyglass.data.store import replace_store
    from spyglass.data.vol_indices import indices_source
    from spyglass.io import write_json, write_parquet
    from spyglass.models.registry import save_models, save_stack

    root = tmp_path_factory.mktemp("repo")
    cfg, paths, run = small_cfg, small_cfg["paths"], small_run
    write_parquet(synthetic_market.prices, root / paths["prices"])
    write_parquet(synthetic_market.vol_indices, root / paths["vol_indices"])
    replace_store(synthetic_market.chains, root / paths["options_store"], snapshot_provenance(cfg["data"]))
    write_parquet(run.options, root / paths["options_features"])
    write_parquet(run.vol_index, root / paths["vol_index_features"])
    write_parquet(run.ta, root / paths["ta_features"])
    write_parquet(synthetic_market.prices[["date"]], root / paths["extra_features"])  # as fetch writes "none"
    write_parquet(run.base.oof, root / paths["base_oof"])
    for name, table in (("by_strike", run.analytics.latest_by_strike), ("by_expiry", run.analytics.latest_by_expiry),
                        ("gamma_profile", run.analytics.latest_profile)):  # fmt: skip
        write_parquet(table, root / paths["options_latest"] / f"{name}.parquet")
    write_parquet(run.allocations, root / paths["allocations"])
    write_parquet(run.daily, root / paths["backtest_daily"])
    verdict = strategy_verdict(run.daily, run.choice, RuleSettings(reps=200))  # as the backtest stage adds it
    summary = backtest_summary(run.daily, 2.0) | {"verdict": verdict, "indices": indices_source(cfg["data"])}
    write_json(summary, root / paths["metrics_dir"] / "backtest.json")
    write_json(run.choice.as_dict(), root / paths["choice"])
    (root / paths["base_dir"]).mkdir(parents=True)
    save_models(root / paths["base_dir"], {n: r.final_model for n, r in run.base.models.items()}, run.base.manifest)
    save_stack(root / paths["meta_model"], run.meta.model, run.meta.inputs)
    return root
