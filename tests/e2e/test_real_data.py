"""Real data end to end, offline: `dvc repro` on the yfinance source replaying recorded Yahoo answers.

Recordings are built from the sample's real S&P 500 bars (20 years, recorded as the ticker's history), CBOE's
real VIX history (../shared/data/vix-daily.csv, recorded as ^VIX; ^VIX3M is listed but never answers) and the
sample's simulated chains, recorded in Yahoo's column shapes. The scenarios share one repository, as a user's
days would: the first fetch (one snapshot), a same-day refetch with fewer expiries, a day of Yahoo quirks, a store
of simulated snapshots offered real ones, two years of daily snapshots and daily runs over them. Each test asks
for the state it needs (`first_repro`, `two_years`), so any of them runs alone (`pytest path::test`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from e2e.repo import SMALL, copy_repo, run, set_params, stages_run
from spyglass.config import compose, select_ticker, to_plain
from spyglass.data import load_market_data, snapshot_provenance
from spyglass.data.store import partition_files, partition_path, partition_provenance, read_snapshots, replace_store
from spyglass.data.yahoo_replay import ReplayClient, chain_dir, write_chain_answer, write_history
from spyglass.io import read_table
from spyglass.journal import read_journal
from spyglass.schemas import AllocationsSchema, OptionsFeaturesSchema, VolIndexFeaturesSchema
from yahoo_recordings import record_chains, vix_history, yahoo_history

pytestmark = pytest.mark.slow

HORIZON = 35  # days of expiries fetched: the sample's 7-, 14- and 30-day expiries
LAST = pd.Timestamp("2018-12-31").date()
QUIRK_DAY = pd.Timestamp("2018-12-28").date()


def replay_overrides(replay_dir: Path) -> list[str]:
    return ["data=yfinance", "data.start=1999-01-04", f"data.replay_dir={replay_dir}",
            "data.vol_indices=['^VIX','^VIX3M']", f"data.chains.horizon_days={HORIZON}", *SMALL]  # fmt: skip


@pytest.fixture(scope="module")
def sample():
    """The sample source's bars and simulated chains, the material recordings are made of."""
    cfg = select_ticker(to_plain(compose(["data=sample"])))
    return load_market_data(cfg["data"], cfg["seed"]), cfg


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, sample, vix_csv) -> dict[str, Path]:
    market, _ = sample
    root = tmp_path_factory.mktemp("recordings")
    chains = market.chains
    days = chains["snapshot_date"].unique().sort()

    def recording(name: str, snapshot_days, bars=market.prices) -> Path:
        directory = root / name
        write_history(directory, "SPY", yahoo_history(bars))
        write_history(directory, "^VIX", vix_history(vix_csv))
        record_chains(directory, "SPY", chains.filter(pl.col("snapshot_date").is_in(snapshot_days)), HORIZON)
        return directory

    one_day = recording("one_day", [LAST])
    fewer = recording("fewer", [LAST])
    first_expiry = json.loads((chain_dir(fewer, LAST, "SPY") / "answer.json").read_text())["expiries"][0]
    for side in ("calls", "puts"):  # the 7-day expiry did not arrive this time
        (chain_dir(fewer, LAST, "SPY") / f"{first_expiry}.{side}.parquet").unlink()

    # A day of Yahoo quirks: a bar without volume, today's partial bar, an expiry listed twice, one answered
    # without openInterest, and no regularMarketPrice.
    quirky_bars = market.prices.copy()
    quirky_bars.loc[len(quirky_bars) - 10, "volume"] = float("nan")
    partial = quirky_bars.iloc[[-1]].assign(date=pd.Timestamp("2019-01-02"), close=float("nan"))
    quirks = recording("quirks", [QUIRK_DAY], pd.concat([quirky_bars, partial], ignore_index=True))
    answer = json.loads((chain_dir(quirks, QUIRK_DAY, "SPY") / "answer.json").read_text())
    expiries = answer["expiries"]
    write_chain_answer(quirks, QUIRK_DAY, "SPY", [*expiries, expiries[0]], {"regularMarketPrice": None},
                       pd.Timestamp(answer["quote_time"]).to_pydatetime())  # fmt: skip
    missing = chain_dir(quirks, QUIRK_DAY, "SPY") / f"{expiries[1]}.puts.parquet"
    pd.read_parquet(missing).drop(columns="openInterest").to_parquet(missing)

    history = recording("two_years", days[-600:].to_list())
    # Three days before the two years, for the daily run; on the second one an expiry arrives without openInterest.
    daily = recording("daily", days[-603:-600].to_list())
    second = days[-602]
    listed = json.loads((chain_dir(daily, second, "SPY") / "answer.json").read_text())["expiries"]
    broken = chain_dir(daily, second, "SPY") / f"{listed[1]}.calls.parquet"
    pd.read_parquet(broken).drop(columns="openInterest").to_parquet(broken)
    return {"one_day": one_day, "fewer": fewer, "quirks": quirks, "two_years": history, "daily": daily}


@pytest.fixture(scope="module")
def repo(tmp_path_factory, repo_root, recordings) -> Path:
    return copy_repo(repo_root, tmp_path_factory.mktemp("real") / "repo", replay_overrides(recordings["one_day"]))


@pytest.fixture(scope="module")
def first_repro(repo, recordings) -> str:
    """`dvc repro` on 20 years of bars, the indices and one snapshot (what test_a checks); its output."""
    set_params(repo, replay_overrides(recordings["one_day"]))
    done = run(["dvc", "repro"], repo)
    return done.stdout + done.stderr


@pytest.fixture
def two_years(repo, recordings) -> Path:
    """The repo after `dvc repro` on two years of daily snapshots (set here, whatever ran before)."""
    set_params(repo, replay_overrides(recordings["two_years"]))
    run(["dvc", "repro"], repo)
    return repo


def metrics(repo: Path, name: str) -> dict:
    return json.loads((repo / "tickers/SPY/metrics" / f"{name}.json").read_text())


def store(repo: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in partition_files(repo / "tickers/SPY/data/raw/options")}


def test_a_twenty_years_of_bars_indices_and_one_snapshot_train_and_allocate_the_last_day(repo, first_repro):
    output = first_repro
    assert "backtest@SPY" in stages_run(output) and "ablation@SPY" in stages_run(output)
    allocations = read_table(repo / "tickers/SPY/data/allocations.parquet", AllocationsSchema)
    assert allocations["date"].iloc[-1] == pd.Timestamp(LAST)
    chain_tier = metrics(repo, "train_base")["chain_features"]
    assert chain_tier["included"] is False and chain_tier["covered_rows"] == 1
    assert chain_tier["model_rows"] > 4500  # 20 years of rows, not one
    assert "chain-snapshot features left out: snapshots cover 1 of" in output
    manifest = json.loads((repo / "tickers/SPY/data/models/base/manifest.json").read_text())
    assert manifest["feature_tiers"]["chain"] == [] and "pcr_oi" not in manifest["features"]
    fetch = metrics(repo, "fetch")
    assert fetch["vol_index_columns"] == ["vix_30d"] and fetch["vol_indices"]["^VIX3M"].startswith("left out")
    options = read_table(repo / "tickers/SPY/data/features/options.parquet", OptionsFeaturesSchema)
    assert options["date"].tolist() == [pd.Timestamp(LAST)]  # the snapshot is still computed, shown, journalled
    index_features = read_table(repo / "tickers/SPY/data/features/vol_index.parquet", VolIndexFeaturesSchema)
    assert index_features["date"].iloc[0] < pd.Timestamp("2000-06-01")
    assert {"vix_level", "vrp_30d", "vix_z_252d"} <= set(index_features.columns)
    ablation = metrics(repo, "ablation")
    sets = {entry["feature_set"] for entry in ablation["candidates"].values()}
    assert sets == {"parsimonious", "technical", "technical+index"}  # chain features: too few snapshots
    assert all("technical+index+chain" in skipped for skipped in ablation["skipped"].values())
    assert "Candidates and the rule" in (repo / "tickers/SPY/reports/tearsheet.html").read_text()


def test_d_a_same_day_refetch_with_fewer_expiries_keeps_the_better_partition(repo, first_repro, recordings):
    path = partition_path(repo / "tickers/SPY/data/raw/options", LAST)
    before = path.read_bytes()
    set_params(repo, replay_overrides(recordings["fewer"]))
    run(["dvc", "repro", "--single-item", "fetch@SPY"], repo)
    assert path.read_bytes() == before
    kept = metrics(repo, "fetch")["snapshots_kept"]
    assert list(kept) == [f"{LAST}"] and "is not as good on every count" in kept[f"{LAST}"]


def test_e_yahoo_quirks_end_as_described(repo, first_repro, recordings, sample):
    market, _ = sample
    set_params(repo, replay_overrides(recordings["quirks"]))
    run(["dvc", "repro", "--single-item", "fetch@SPY"], repo)
    fetch = metrics(repo, "fetch")
    assert fetch["bars_dropped"] == ["2019-01-02"] and len(fetch["volumes_filled"]) == 1
    day = fetch["chains"][f"{QUIRK_DAY}"]
    recorded = market.chains.filter(pl.col("snapshot_date") == QUIRK_DAY).with_columns(
        days=(pl.col("expiry") - pl.col("snapshot_date")).dt.total_days()
    )
    within = recorded.filter(pl.col("days") <= HORIZON)["expiry"].n_unique()
    assert day["expiries_listed"] == recorded["expiry"].n_unique() + 1  # one of them listed twice
    assert day["expiries_wanted"] == within  # ... and fetched once
    assert list(day["expiries_skipped"].values()) == ["answer lacks column(s) ['openInterest']"]
    stored = pl.read_parquet(partition_path(repo / "tickers/SPY/data/raw/options", QUIRK_DAY))
    assert stored["expiry"].n_unique() == within - 1  # the expiry without openInterest is skipped
    close = market.prices.set_index("date")["close"][pd.Timestamp(QUIRK_DAY)]
    assert stored["underlying_price"].unique().to_list() == [pytest.approx(close)]  # no quote: the last close
    assert partition_provenance(partition_path(repo / "tickers/SPY/data/raw/options", QUIRK_DAY)).ticker == "SPY"


def test_c_simulated_snapshots_and_real_ones_are_never_mixed(repo, first_repro, sample, tmp_path):
    market, cfg = sample
    simulated = tmp_path / "options_sample"
    replace_store(market.chains.filter(pl.col("snapshot_date") >= LAST.replace(day=1)), simulated,
                  snapshot_provenance(cfg["data"]))  # fmt: skip
    prices, chains = tmp_path / "bars.csv", tmp_path / "chains.csv"
    market.prices.to_csv(prices, index=False)
    market.chains.filter(pl.col("snapshot_date") == LAST).write_csv(chains)
    before = {
        path: path.read_bytes() for path in [*partition_files(simulated), repo / "tickers/SPY/data/raw/prices.parquet"]
    }
    failed = run(
        ["python", "stages/fetch.py", "data=csv", f"data.prices_path={prices}", f"data.chains_path={chains}",
         f"paths.options_store={simulated}"],
        repo,
        check=False,
    )  # fmt: skip
    assert failed.returncode == 1
    message = failed.stdout + failed.stderr
    assert message.count("fetch failed:") == 1
    assert f"holds {len(partition_files(simulated))} simulated ^GSPC snapshots (data=sample)" in message
    assert "this run brings real USER snapshots (data=csv)" in message and "Move the store aside" in message
    assert {path: path.read_bytes() for path in before} == before


def test_b_two_years_of_daily_snapshots_bring_chain_features_into_the_model(two_years):
    repo = two_years
    assert len(read_snapshots(repo / "tickers/SPY/data/raw/options")["snapshot_date"].unique()) == 600
    chain_tier = metrics(repo, "train_base")["chain_features"]
    assert chain_tier["included"] is True and chain_tier["covered_rows"] >= 504
    manifest = json.loads((repo / "tickers/SPY/data/models/base/manifest.json").read_text())
    assert "pcr_oi" in manifest["features"] and "vix_level" in manifest["features"]
    candidates = metrics(repo, "ablation")["candidates"].values()
    features = {entry["feature_set"]: entry["features"] for entry in candidates}
    assert features["technical+index+chain"] > features["technical+index"]
    allocations = read_table(repo / "tickers/SPY/data/allocations.parquet", AllocationsSchema)
    assert allocations["date"].iloc[-1] == pd.Timestamp(LAST)


def test_f_daily_runs_over_replayed_days_record_one_row_each_file_the_chains_and_wake_dvc(two_years, recordings,
                                                                                       sample):  # fmt: skip
    repo = two_years
    """`python -m spyglass.daily` on three recorded days in turn (data.end = the day, as a live run would see it),
    then the last day again: one row per day, outcomes filled by the next run, each day's chain filed in the
    archive, and `dvc status` seeing the new days (a weekly `dvc repro` retrains)."""
    market, _ = sample
    days = ReplayClient(recordings["daily"]).recorded_days("SPY")
    archive = repo / "archive/options/SPY"
    filed_before = {path: path.read_bytes() for path in partition_files(archive)}
    assert "Data and pipelines are up to date" in run(["dvc", "status"], repo).stdout
    daily = [sys.executable, "-m", "spyglass.daily", *replay_overrides(recordings["daily"])]
    for day in days:
        printed = run([*daily, f"data.end={day}"], repo).stdout
        assert f"{day} (yfinance SPY" in printed and "journal: recorded" in printed
    filed = {path: path.read_bytes() for path in partition_files(archive)}
    assert "journal: rerun" in run([*daily, f"data.end={days[-1]}"], repo).stdout
    assert {path: path.read_bytes() for path in partition_files(archive)} == filed  # a rerun files nothing new

    journal = read_journal(repo / "tickers/SPY/data/journal/signals.parquet")
    assert [d.date() for d in journal["as_of"]] == days and journal["reruns"].tolist() == [0, 0, 1]
    close = market.prices.set_index("date")["adj_close"]
    for i in range(2):
        realised = close[pd.Timestamp(days[i + 1])] / close[pd.Timestamp(days[i])] - 1
        assert journal["realised_return"].iloc[i] == pytest.approx(realised, rel=1e-12)
    assert pd.isna(journal["realised_return"].iloc[2])
    assert journal["flags"].tolist() == ["", "partial_chain", ""]
    assert set(journal["feature_tiers"].iloc[0].split(",")) == {"technical", "index", "chain"}

    assert {path: filed[path] for path in filed_before} == filed_before  # earlier days untouched
    assert sorted(set(filed) - set(filed_before)) == [partition_path(archive, day) for day in days]
    assert store(repo) == {
        repo / "tickers/SPY/data/raw/options" / path.relative_to(archive): data for path, data in filed.items()
    }
    status = run(["dvc", "status", "fetch@SPY"], repo).stdout
    assert "changed deps" in status and re.search(r"modified:\s+archive\n", status)
