"""`data=cboe` end to end: `dvc repro` on CBOE's real SPX chain of 2022-12-12 (../shared/data) with bars from a
prices file that ends on the chain's day at its spot (the sample's real S&P 500 returns, replayed onto the
business days before it). One snapshot: the chain features are computed and reported, and left out of the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from e2e.repo import SMALL, copy_repo, run, stages_run
from spyglass.data.sample import arch_bars
from spyglass.data.store import partition_files
from spyglass.io import read_table
from spyglass.schemas import AllocationsSchema, OptionsFeaturesSchema

pytestmark = pytest.mark.slow

CHAIN_DAY = pd.Timestamp("2022-12-12")
SPOT = 3990.5601  # the file's "Last:"
BARS = 1500


def bars_ending_at_the_chain(path: Path) -> Path:
    """The last BARS real S&P 500 bars' relative moves, on the business days up to CHAIN_DAY, scaled so the last
    close is the chain's spot."""
    real = arch_bars().tail(BARS).reset_index(drop=True)
    scale = SPOT / real["close"].iloc[-1]
    bars = real.assign(date=pd.bdate_range(end=CHAIN_DAY, periods=BARS))
    for column in ("open", "high", "low", "close", "adj_close"):
        bars[column] = np.round(bars[column] * scale, 4)
    bars.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def repo(tmp_path_factory, repo_root, spx_quotedata) -> Path:
    work = tmp_path_factory.mktemp("cboe")
    prices = bars_ending_at_the_chain(work / "bars.csv")
    overrides = ["data=cboe", f"data.quotes_path={spx_quotedata}", f"data.prices_path={prices}", *SMALL]
    return copy_repo(repo_root, work / "repo", overrides)


def test_dvc_repro_runs_on_the_real_chain_and_reports_its_levels(repo):
    done = run(["dvc", "repro"], repo)
    output = done.stdout + done.stderr
    assert "backtest@SPX" in stages_run(output)
    assert [p.parent.name for p in partition_files(repo / "archive/options/SPX")] == ["snapshot_date=2022-12-12"]
    assert [p.parent.name for p in partition_files(repo / "tickers/SPX/data/raw/options")] == [
        "snapshot_date=2022-12-12"
    ]
    options = read_table(repo / "tickers/SPX/data/features/options.parquet", OptionsFeaturesSchema).iloc[-1]
    assert options["date"] == CHAIN_DAY and options["spot"] == pytest.approx(SPOT)
    # The real chain's levels through spyglass's engine (rate 4 %, dividend yield 1.5 %, conf/data/cboe.yaml).
    assert options["pcr_oi"] == pytest.approx(1.723, abs=0.001) and options["pcr_volume"] == pytest.approx(
        1.368, abs=0.001
    )
    assert options["gex_usd_per_pct"] == pytest.approx(-5.32e9, rel=0.01)  # dealers short gamma
    assert options["gamma_flip"] / SPOT - 1 == pytest.approx(0.0064, abs=0.0002)  # the flip 0.64 % above spot
    assert (options["call_wall"], options["put_wall"]) == (4000.0, 3950.0)  # the round strikes either side of spot
    chain_tier = json.loads((repo / "tickers/SPX/metrics/train_base.json").read_text())["chain_features"]
    assert chain_tier["included"] is False and chain_tier["covered_rows"] == 1
    assert "chain-snapshot features left out: snapshots cover 1 of" in output
    allocations = read_table(repo / "tickers/SPX/data/allocations.parquet", AllocationsSchema)
    assert allocations["date"].iloc[-1] == CHAIN_DAY
    fetch = json.loads((repo / "tickers/SPX/metrics/fetch.json").read_text())
    assert fetch["source"] == "cboe" and "CBOE quote files" in fetch["description"]
