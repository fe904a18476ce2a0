"""One pipeline per ticker: dvc.yaml's stages repeat over params.yaml's portfolio (DVC foreach), each ticker's
outputs under tickers/<name>/. Offline on the sample source's two real indices (S&P 500, NASDAQ Composite, each
with its own simulated chains) on a short window: adding a ticker runs only its stages, a change to one ticker's
settings reruns only its chain, and the daily run and the app pick the ticker."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from e2e.repo import SMALL, copy_repo, refreshed_signal, run, set_params, stages_run
from spyglass.pipeline import STAGES

pytestmark = pytest.mark.slow

ONE = ["experiment=debug", *SMALL]
TWO = [*ONE, '+portfolio.IXIC.ticker="^IXIC"']


def every_stage(name: str) -> set[str]:
    return {f"{stage}@{name}" for stage in STAGES}


@pytest.fixture(scope="module")
def repo(tmp_path_factory, repo_root) -> Path:
    """A repo whose pipeline ran for the S&P 500 only."""
    repo = copy_repo(repo_root, tmp_path_factory.mktemp("portfolio") / "repo", ONE)
    assert set(stages_run(run(["dvc", "repro"], repo).stdout)) == every_stage("GSPC")
    return repo


@pytest.fixture(scope="module")
def added(repo) -> list[str]:
    """The stages that ran when the NASDAQ Composite joined the portfolio."""
    set_params(repo, TWO)
    return stages_run(run(["dvc", "repro"], repo).stdout)


def test_adding_a_ticker_runs_only_its_stages_into_its_own_folder(repo, added):
    assert set(added) == every_stage("IXIC")
    gspc, ixic = (pd.read_parquet(repo / f"tickers/{name}/data/raw/prices.parquet") for name in ("GSPC", "IXIC"))
    assert gspc["date"].equals(ixic["date"]) and not gspc["close"].equals(ixic["close"])  # two markets, same days
    assert ixic["close"].iloc[-1] == pytest.approx(1577.03, abs=0.01)  # NASDAQ Composite, 2008-12-31
    for name in ("GSPC", "IXIC"):
        assert json.loads((repo / f"tickers/{name}/metrics/backtest.json").read_text())["strategy"]["sharpe"]
    assert "Data and pipelines are up to date" in run(["dvc", "status"], repo).stdout


def test_a_change_to_one_tickers_settings_reruns_only_its_chain(repo, added):
    set_params(repo, [*TWO, "+portfolio.IXIC.dividend_yield=0.008"])
    rerun = stages_run(run(["dvc", "repro"], repo).stdout)
    assert "options_features@IXIC" in rerun  # the chains' implied vols are solved with the new yield
    assert all(stage.endswith("@IXIC") for stage in rerun), rerun
    set_params(repo, TWO)
    run(["dvc", "repro"], repo)


def test_the_daily_run_scores_every_ticker_or_the_one_named(repo, added):
    printed = run([sys.executable, "-m", "spyglass.daily"], repo).stdout
    assert "(sample ^GSPC" in printed and "(sample ^IXIC" in printed
    for name in ("GSPC", "IXIC"):
        assert (repo / f"tickers/{name}/data/journal/signals.parquet").exists()
    again = run([sys.executable, "-m", "spyglass.daily", "--ticker", "IXIC"], repo).stdout
    assert "(sample ^IXIC" in again and "^GSPC" not in again
    unknown = run([sys.executable, "-m", "spyglass.daily", "--ticker", "QQQ"], repo, check=False)
    assert unknown.returncode == 1 and "'QQQ' is not in the portfolio; its entries: GSPC, IXIC" in unknown.stderr


def test_the_app_serves_the_ticker_it_is_given(repo, added):
    signal = refreshed_signal(repo, "--ticker", "IXIC")
    assert "NASDAQ Composite daily bars" in signal and "S&P 500" not in signal  # the source line of the re-score
