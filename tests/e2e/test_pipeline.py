"""The real `dvc repro` in a temporary copy of the repo, on a short window of the default (sample) data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from e2e.repo import copy_repo, run, stages_run
from spyglass.data.store import read_snapshots
from spyglass.io import read_table, write_parquet
from spyglass.pipeline import STAGES as PIPELINE
from spyglass.schemas import (
    AllocationsSchema,
    BacktestDailySchema,
    BaseOofSchema,
    FoldsSchema,
    MetaOofSchema,
    OptionsFeaturesSchema,
    PricesSchema,
    TechnicalFeaturesSchema,
)

pytestmark = pytest.mark.slow

OVERRIDES = ["experiment=debug"]
STAGES = [f"{stage}@GSPC" for stage in PIPELINE]


@pytest.fixture(scope="module")
def repo(tmp_path_factory, repo_root) -> Path:
    return copy_repo(repo_root, tmp_path_factory.mktemp("e2e") / "repo", OVERRIDES)


@pytest.fixture(scope="module")
def first_repro(repo) -> str:
    return run(["dvc", "repro"], repo).stdout


def test_first_repro_runs_every_stage_and_outputs_meet_their_schemas(repo, first_repro):
    assert stages_run(first_repro) == STAGES
    read_table(repo / "tickers/GSPC/data/raw/prices.parquet", PricesSchema)
    assert read_snapshots(repo / "tickers/GSPC/data/raw/options").height > 0
    options = read_table(repo / "tickers/GSPC/data/features/options.parquet", OptionsFeaturesSchema)
    read_table(repo / "tickers/GSPC/data/features/ta.parquet", TechnicalFeaturesSchema)
    read_table(repo / "tickers/GSPC/data/predictions/folds.parquet", FoldsSchema)
    base = read_table(repo / "tickers/GSPC/data/predictions/base_oof.parquet", BaseOofSchema)
    choice = json.loads((repo / "tickers/GSPC/data/models/choice.json").read_text())
    ablation = json.loads((repo / "tickers/GSPC/metrics/ablation.json").read_text())
    assert choice == ablation["choice"] and choice["candidate"] in ablation["candidates"]
    learners = ablation["candidates"][choice["candidate"]]["learners"]  # train_base trains the chosen candidate
    assert [c for c in base.columns if c.startswith("pred_")] == [f"pred_{name}" for name in learners]
    meta = read_table(repo / "tickers/GSPC/data/predictions/meta_oof.parquet", MetaOofSchema)
    allocations = read_table(repo / "tickers/GSPC/data/allocations.parquet", AllocationsSchema)
    daily = read_table(repo / "tickers/GSPC/data/backtest/daily.parquet", BacktestDailySchema)
    assert allocations["allocation"].between(0, 2).all()
    assert options["date"].min() <= meta["date"].min() and meta["date"].max() == pd.Timestamp("2008-12-31")
    assert daily["date"].iloc[-1] == pd.Timestamp("2008-12-31")

    metrics = json.loads((repo / "tickers/GSPC/metrics/backtest.json").read_text())
    for side in ("strategy", "strategy_gross", "buy_and_hold"):
        assert {"sharpe", "cagr", "max_drawdown", "turnover"} <= set(metrics[side])
    assert metrics["strategy"]["cagr"] <= metrics["strategy_gross"]["cagr"]
    manifest = json.loads((repo / "tickers/GSPC/data/models/base/manifest.json").read_text())
    assert manifest["features"] and set(manifest["models"]) == set(learners)
    assert manifest["horizon_days"] == choice["horizon_days"] and manifest["feature_set"] == choice["feature_set"]
    verdict = metrics["verdict"]
    assert verdict["choice"] == choice and {"vol_target", "buy_and_hold"} == set(verdict["against"])
    assert verdict["against"]["vol_target"]["low"] <= verdict["against"]["vol_target"]["high"]
    stack = json.loads((repo / "tickers/GSPC/data/models/meta_manifest.json").read_text())
    assert stack["inputs"] == [c for c in base.columns if c.startswith("pred_")]
    for plot in ("equity", "drawdown", "allocation", "rolling_sharpe"):
        assert len(pd.read_csv(repo / f"tickers/GSPC/plots/{plot}.csv")) > 100
    assert {"strategy", "vol_target", "buy_and_hold"} <= set(metrics)
    page = (repo / "tickers/GSPC/reports/tearsheet.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "Hull Tactical competition score" in page
    assert "Candidates and the rule&#x27;s choice" in page or "Candidates and the rule's choice" in page
    assert verdict["headline"] in page.replace("&#x27;", "'")


def test_every_stage_records_where_its_time_went_outside_dvc_lock(repo, first_repro):
    timings = {path.stem: json.loads(path.read_text()) for path in (repo / "timings").glob("*.json")}
    assert set(timings) == set(STAGES)
    for stage, report in timings.items():
        steps = report["steps"]
        assert report["start_up_seconds"] > 0 and report["run_seconds"] > 0, stage
        assert sum(steps.values()) == pytest.approx(report["run_seconds"], abs=0.01), stage  # the steps add up
    assert timings["fetch@GSPC"]["steps"]["write"] > 0 and timings["train_base@GSPC"]["steps"]["load"] > 0
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo).stdout)
    listed = next(iter(shown.values()))["data"]
    assert {f"timings/{stage}.json" for stage in STAGES} <= set(listed)  # dvc metrics show lists them
    assert "timings" not in (repo / "dvc.lock").read_text()  # no stage's output: wall times never touch the lock


def test_second_repro_runs_nothing(repo, first_repro):
    again = run(["dvc", "repro"], repo).stdout
    assert stages_run(again) == []
    assert "Data and pipelines are up to date" in again


def test_rerunning_the_options_stage_on_the_same_store_gives_the_same_bytes(repo, first_repro):
    lock = (repo / "dvc.lock").read_text()
    run(["dvc", "repro", "--force", "--single-item", "options_features@GSPC"], repo)
    assert (repo / "dvc.lock").read_text() == lock  # every output hashes as before


def test_bad_prices_fail_with_a_clear_message_and_keep_earlier_outputs(repo, first_repro):
    ta_path = repo / "tickers/GSPC/data/features/ta.parquet"
    prices_path = repo / "tickers/GSPC/data/raw/prices.parquet"
    before, good_prices = ta_path.read_bytes(), prices_path.read_bytes()
    prices = pd.read_parquet(prices_path)
    prices.loc[100, "close"] = -1.0
    prices.loc[200, "adj_close"] = np.nan
    write_parquet(prices, prices_path)
    failed = run(["dvc", "repro", "--single-item", "ta_features@GSPC"], repo, check=False)
    assert failed.returncode != 0
    log = failed.stdout + failed.stderr
    assert "data/raw/prices.parquet" in log
    assert "column 'close' fails greater_than(0): 1 row(s): 100" in log
    assert "column 'adj_close' fails not_nullable: 1 row(s): 200" in log
    assert ta_path.read_bytes() == before
    prices_path.write_bytes(good_prices)  # as fetch wrote them: the later tests find the pipeline up to date
    assert stages_run(run(["dvc", "repro"], repo).stdout) == []


def test_a_stage_script_run_by_hand_accepts_hydra_overrides(repo, first_repro):
    out = repo / "by_hand" / "ta.parquet"
    run(
        [
            sys.executable,
            "stages/ta_features.py",
            *OVERRIDES,
            f"paths.ta_features={out}",
            "features.technical.rsi_length=7",
        ],
        repo,
    )
    by_hand = read_table(out, TechnicalFeaturesSchema)
    pipeline = pd.read_parquet(repo / "tickers/GSPC/data/features/ta.parquet")
    assert not np.allclose(by_hand["rsi"].iloc[-50:], pipeline["rsi"].iloc[-50:])


def test_an_allocation_change_by_dvc_exp_run_reruns_only_downstream_stages_and_is_listed(repo, first_repro):
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "baseline", "--allow-empty"], repo)
    choice = repo / "tickers/GSPC/data/models/choice.json"
    before = choice.read_bytes()
    ran = run(["dvc", "exp", "run", "-n", "lev125", "-S", "experiment=debug", "-S", "allocation.max_position=1.25"],
              repo).stdout  # fmt: skip
    # the comparison sizes every candidate, so it reruns; training reruns only if the rule's choice moved
    retrained = ["train_base@GSPC", "train_meta@GSPC"] if choice.read_bytes() != before else []
    assert stages_run(ran) == ["ablation@GSPC", *retrained, "allocate@GSPC", "backtest@GSPC"]
    assert pd.read_parquet(repo / "tickers/GSPC/data/allocations.parquet")["allocation"].max() <= 1.25
    shown = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    text = json.dumps(shown)
    assert "lev125" in text and "metrics/backtest.json" in text
    assert '"max_position": 1.25' in text


def test_dvc_commands_leave_the_signal_journal_and_the_archive_alone(repo, first_repro):
    """The journal (data/journal) and the snapshot archive are no stage's outputs: repro, exp run, exp apply and
    checkout never roll them back or remove them."""
    printed = run([sys.executable, "-m", "spyglass.daily", *OVERRIDES], repo).stdout
    assert "2008-12-31 (sample ^GSPC" in printed and "journal: recorded" in printed
    outputs = repo / "tickers/GSPC"
    kept = [outputs / "data/journal/signals.parquet", outputs / "metrics/journal.json", repo / "archive/README.md"]
    before = {path: path.read_bytes() for path in kept}
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "before the journal's checks", "--allow-empty"], repo)

    def unchanged(after: str) -> None:
        assert {path: path.read_bytes() for path in kept} == before, f"changed by {after}"

    allocations = repo / "tickers/GSPC/data/allocations.parquet"
    run(["dvc", "repro"], repo)
    unchanged("dvc repro")
    baseline = allocations.read_bytes()
    run(["dvc", "exp", "run", "-n", "half", "-S", "experiment=debug", "-S", "allocation.max_position=0.5"], repo)
    unchanged("dvc exp run")
    experiment = allocations.read_bytes()
    assert experiment != baseline
    run(["git", "checkout", "--", "params.yaml", "dvc.lock"], repo)
    run(["dvc", "checkout", "--force"], repo)
    unchanged("dvc checkout")
    assert allocations.read_bytes() == baseline  # checkout did restore the outputs it tracks
    run(["dvc", "exp", "apply", "half"], repo)
    unchanged("dvc exp apply")
    assert allocations.read_bytes() == experiment  # and exp apply brought the experiment's back
