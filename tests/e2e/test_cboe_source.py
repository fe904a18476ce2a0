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


def standard_gamma_exposure(rows: pd.DataFrame, rate: float, dividend_yield: float) -> float:
    """Net dealer gamma (USD per 1 % move) by the standard method, independently of spyglass: Black-Scholes gamma
    at CBOE's IVs (T in calendar days / 365 from the snapshot day), open interest x 100 x S^2 x 1 %, calls + and
    puts -, over every row with an IV and open interest."""
    spot = rows["spot"].iloc[0]
    years = (pd.to_datetime(rows["Expiration Date"], format="%a %b %d %Y") - CHAIN_DAY).dt.days.to_numpy() / 365.0
    total = 0.0
    for iv, oi, sign in (("IV", "Open Interest", 1.0), ("IV.1", "Open Interest.1", -1.0)):
        vol, held = rows[iv].to_numpy(float), rows[oi].to_numpy(float)
        use = (years > 0) & (vol > 0) & (held > 0)
        t, sigma, strike = years[use], vol[use], rows["Strike"].to_numpy(float)[use]
        d1 = (np.log(spot / strike) + (rate - dividend_yield + sigma**2 / 2) * t) / (sigma * np.sqrt(t))
        gamma = np.exp(-dividend_yield * t - d1**2 / 2) / np.sqrt(2 * np.pi) / (spot * sigma * np.sqrt(t))
        total += sign * (gamma * held[use]).sum() * 100 * spot**2 * 0.01
    return total


def test_dvc_repro_runs_on_the_real_chain_and_reports_its_levels(repo, spx_quotedata_rows):
    done = run(["dvc", "repro"], repo)
    output = done.stdout + done.stderr
    assert "backtest@SPX" in stages_run(output)
    assert [p.parent.name for p in partition_files(repo / "archive/options/SPX")] == ["snapshot_date=2022-12-12"]
    assert [p.parent.name for p in partition_files(repo / "tickers/SPX/data/raw/options")] == [
        "snapshot_date=2022-12-12"
    ]
    options = read_table(repo / "tickers/SPX/data/features/options.parquet", OptionsFeaturesSchema).iloc[-1]
    assert options["date"] == CHAIN_DAY and options["spot"] == pytest.approx(SPOT)
    # Expectations from the CSV itself (both roots count; rate 4 %, dividend yield 1.5 %: conf/data/cboe.yaml).
    rows = spx_quotedata_rows
    assert options["pcr_oi"] == pytest.approx(rows["Open Interest.1"].sum() / rows["Open Interest"].sum(), rel=1e-12)
    assert options["pcr_volume"] == pytest.approx(rows["Volume.1"].sum() / rows["Volume"].sum(), rel=1e-12)
    reference = standard_gamma_exposure(rows, 0.04, 0.015)
    assert reference < 0 and options["gex_usd_per_pct"] == pytest.approx(reference, rel=0.25)  # dealers short gamma
    assert options["gamma_flip_crossings"] >= 1 and abs(options["gamma_flip"] / SPOT - 1) < 0.15
    by_strike = pd.read_parquet(repo / "tickers/SPX/data/features/options_latest/by_strike.parquet")
    for side, sign, near, overall in (("call", 1, "call_wall", "call_wall_overall"),
                                      ("put", -1, "put_wall", "put_wall_overall")):  # fmt: skip
        gamma = by_strike.set_index("strike")[f"{side}_gex_usd_per_pct"] * sign
        on_its_side = gamma[gamma.index >= SPOT] if side == "call" else gamma[gamma.index <= SPOT]
        assert options[near] == on_its_side.idxmax() and options[overall] == gamma.idxmax()
    assert options["oi_share_quote"] + options["oi_share_smile"] + options["oi_share_provider"] <= 1 + 1e-12
    assert options["oi_share_smile"] > 0.5  # most of the file's open interest has no quote of its own
    valuation = json.loads((repo / "tickers/SPX/metrics/options_features.json").read_text())["valuation"]
    assert valuation["open_interest_share"]["smile"] == pytest.approx(options["oi_share_smile"], abs=1e-6)
    chain_tier = json.loads((repo / "tickers/SPX/metrics/train_base.json").read_text())["chain_features"]
    assert chain_tier["included"] is False and chain_tier["covered_rows"] == 1
    assert "chain-snapshot features left out: snapshots cover 1 of" in output
    allocations = read_table(repo / "tickers/SPX/data/allocations.parquet", AllocationsSchema)
    assert allocations["date"].iloc[-1] == CHAIN_DAY
    fetch = json.loads((repo / "tickers/SPX/metrics/fetch.json").read_text())
    assert fetch["source"] == "cboe" and "CBOE quote files" in fetch["description"]
