"""Bad user files end in one DataError naming the file, the column, the file lines and the raw text, and a fetch
that meets one replaces nothing. (The header is line 1; the first data row is line 2.)"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from hull_file import hull_train_frame
from spyglass.data.checks import BarChecks, bar_problems
from spyglass.data.csv import read_chains_csv, read_prices_csv
from spyglass.data.kaggle import read_hull_csv
from spyglass.errors import DataError


def bars_frame(n: int = 300) -> pd.DataFrame:
    close = np.round(100 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, n))), 2)
    dates = pd.bdate_range("2015-01-02", periods=n).strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "open": close, "high": close + 1, "low": close - 1, "close": close,
                         "adj_close": close, "volume": 1e6})  # fmt: skip


def write_csv_lines(path, frame: pd.DataFrame, edit=None) -> None:
    lines = frame.to_csv(index=False).splitlines()
    if edit:
        edit(lines)
    path.write_text("\n".join(lines) + "\n")


def replace_cell(lines: list[str], line: int, column: int, value: str) -> None:
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)


@pytest.fixture()
def chains_frame(synthetic_market) -> pd.DataFrame:
    return synthetic_market.chains.head(40).to_pandas().drop(columns="snapshot_time")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", r"prices.csv: the file is empty \(0 bytes\)"),
        (b"date,open,high,low,close,adj_close,volume\n2020-01-02,1,1,1,1,1,5\n2020-01-03,1,1,1,1\xe9,1,5\n",
         r"prices.csv, line 3: not UTF-8 text \(byte b'\\xe9' in '2020-01-03,1,1,1,1\ufffd,1,5'\)"),
        (b"date,open,high,low,close,adj_close,volume\n", r"prices.csv: a header \(date, open, .*\) but no data rows"),
        (b"date,open,high,low,close,volume\n2020-01-02,1,1,1,1,5\n", None),  # adj_close is optional
        (b"date,open,high,low,adj_close,volume\n2020-01-02,1,1,1,1,5\n",
         r"prices.csv: missing column\(s\) close for daily bars \(the header has date, open, high, low, adj_close"),
        (b"date,open,high,low,close,adj_close,volume\n2020-01-02,1,1,1,1,1,5\n2020-13-45,1,1,1,1,1,5\n"
         b"yesterday,1,1,1,1,1,5\n",
         r"prices.csv: column 'date' has 2 date\(s\) that do not parse: line 3 '2020-13-45', line 4 'yesterday'"),
        (b"date,open,high,low,close,adj_close,volume\n2020-01-02,1,1,1,1,1,5\n2020-01-03,1,1,1,1.2.3,1,5\n",
         r"prices.csv: column 'close' has 1 value\(s\) that are not numbers: line 3 '1.2.3'"),
        (b"date,open,high,low,close,adj_close,volume\n2020-01-02,1,1,1,1,1,5\n2020-01-03,1,1,1,1,1\n",
         r"prices.csv: 1 row\(s\) with fewer fields than the header's 7 \(a truncated file\?\): "
         r"line 3 '2020-01-03,1,1,1,1,1'"),
    ],
)  # fmt: skip
def test_unreadable_price_files(tmp_path, content, expected):
    path = tmp_path / "prices.csv"
    path.write_bytes(content)
    if expected is None:
        assert read_prices_csv(path)["adj_close"].tolist() == [1.0]
        return
    with pytest.raises(DataError, match=expected):
        read_prices_csv(path)


def test_dates_with_utc_offsets_keep_the_calendar_day_written(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n"
                    "2020-03-06 00:00:00-05:00,1,1,1,1,1,5\n2020-03-09 00:00:00-04:00,1,1,1,1,1,5\n"
                    "2020-03-10T00:00:00Z,1,1,1,1,1,5\n")  # fmt: skip
    assert read_prices_csv(path)["date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-03-06", "2020-03-09", "2020-03-10"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda lines: replace_cell(lines, 4, 4, "inf"),
         r"column 'close' fails less_than\(1000000000.0\): 1 line\(s\): 4 \(2015-01-06\) = inf"),
        (lambda lines: replace_cell(lines, 6, 2, "1e308"),
         r"column 'high' fails less_than\(1000000000.0\): 1 line\(s\): 6 \(2015-01-08\) = 1e\+308"),
        (lambda lines: replace_cell(lines, 5, 4, "500"),
         r"table fails open and close must lie within \[low, high\] \(to 0.1%\): 1 line\(s\): 5 \(2015-01-07\)"),
    ],
)  # fmt: skip
def test_implausible_values_in_a_price_file(tmp_path, edit, expected):
    path = tmp_path / "prices.csv"
    write_csv_lines(path, bars_frame(), edit)
    with pytest.raises(DataError, match=expected):
        read_prices_csv(path)


def test_bar_checks_catch_spikes_future_dates_gaps_and_short_histories():
    bars = bars_frame().assign(date=lambda f: pd.to_datetime(f["date"]))
    checks, today = BarChecks(min_rows=252, max_gap_days=10, max_daily_move=3.0), dt.date(2026, 1, 1)
    assert bar_problems(bars, checks, today) == []
    spiked = bars.copy()
    spiked.loc[100, "adj_close"] *= 100
    assert bar_problems(spiked, checks, today) == [
        "2 close(s) moved more than x3 in a day (checks.max_daily_move): "
        f"row 100 (2015-05-22) {bars['adj_close'][99]:g} -> {spiked['adj_close'][100]:g}, "
        f"row 101 (2015-05-25) {spiked['adj_close'][100]:g} -> {bars['adj_close'][101]:g}"
    ]
    future = bars.copy()
    future.loc[299, "date"] = pd.Timestamp("2099-01-02")
    problems = bar_problems(future, checks, today)
    assert problems[0] == "1 bar(s) dated after the run date 2026-01-01: row 299 (2099-01-02)"
    assert problems[1].startswith(
        f"1 gap(s) longer than 10 days (checks.max_gap_days): {bars['date'][298].date()} -> 2099"
    )
    assert bar_problems(bars.head(150), checks, today) == ["only 150 bars; at least 252 are needed (checks.min_rows)"]


def test_chain_files(tmp_path, chains_frame):
    path = tmp_path / "chains.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"chains.csv: the file is empty \(0 bytes\)"):
        read_chains_csv(path)
    chains_frame.drop(columns="open_interest").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"chains.csv: missing column\(s\) open_interest for option quotes"):
        read_chains_csv(path)
    chains_frame.assign(snapshot_time="2011-02-28T21:00:00Z").astype({"snapshot_time": object}).pipe(
        lambda f: f.assign(snapshot_time=f["snapshot_time"].where(f.index != 4, "teatime"))
    ).to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"column 'snapshot_time' has 1 timestamp\(s\) that do not parse: line 6 'teatime'"
    ):
        read_chains_csv(path)
    broken = chains_frame.astype({"strike": object})
    broken.loc[7, "strike"] = np.inf
    broken.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'strike' fails less_than\(1000000000.0\): 1 line\(s\): 9 .* = '?inf"):
        read_chains_csv(path)


def test_kaggle_files(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"train.csv: the file is empty"):
        read_hull_csv(path)
    frame = hull_train_frame(30)
    frame.head(0).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"train.csv: a header \(date_id, .*\) but no data rows"):
        read_hull_csv(path)
    frame.loc[3, "M4"] = np.inf
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"extra features must be finite|fails .* line\(s\): 5"):
        from spyglass.data import load_market_data
        from spyglass.schemas import ExtraFeaturesSchema, validate

        market = load_market_data({"source": "kaggle", "path": str(path), "origin_date": "1990-01-01"}, seed=0)
        validate(market.extra_features, ExtraFeaturesSchema, path)


def test_a_failed_fetch_replaces_nothing(repo_root, monkeypatch, tmp_path, caplog, synthetic_market):
    """data=csv through the fetch stage: a good fetch, then bad bars, a weekend snapshot and a 0-byte file;
    each fails with one message and every output stays byte-identical."""
    from helpers import run_stage_script

    prices_csv, chains_csv = tmp_path / "in" / "prices.csv", tmp_path / "in" / "chains.csv"
    prices_csv.parent.mkdir()
    prices = synthetic_market.prices
    prices.to_csv(prices_csv, index=False)
    last_day = prices["date"].iloc[-1].date()
    chains = synthetic_market.chains.filter(synthetic_market.chains["snapshot_date"] == last_day)
    chains.drop("snapshot_time").write_csv(chains_csv)
    out = tmp_path / "out"
    overrides = ["data=csv", f"data.prices_path={prices_csv}", f"data.chains_path={chains_csv}",
                 f"paths.prices={out}/prices.parquet", f"paths.options_store={out}/options",
                 f"paths.snapshot_archive={out}/archive",
                 f"paths.extra_features={out}/extra.parquet", f"paths.vol_indices={out}/vol_indices.parquet",
                 f"paths.data_quality_png={out}/quality.png", f"paths.plots_dir={out}/plots",
                 f"paths.metrics_dir={out}/metrics"]  # fmt: skip
    run_stage_script(repo_root, monkeypatch, "fetch", overrides)
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert any("snapshot_date=" in str(p) for p in before)

    def refused(expected: str) -> None:
        caplog.clear()
        with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as exit_info:
            run_stage_script(repo_root, monkeypatch, "fetch", overrides)
        assert exit_info.value.code == 1
        assert expected in caplog.text
        assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before

    good_prices = prices_csv.read_bytes()
    spiked = prices.copy()
    spiked.loc[500, ["high", "close", "adj_close"]] *= 100
    spiked.to_csv(prices_csv, index=False)
    refused("fetch failed: data=csv prices: implausible bars\n  2 close(s) moved more than x3 in a day")
    prices_csv.write_bytes(good_prices)

    saturday = (pd.Timestamp(last_day) - pd.offsets.Week(weekday=5)).date()
    chains.drop("snapshot_time").with_columns(snapshot_date=pd.Timestamp(saturday).date()).write_csv(chains_csv)
    refused(f"1 option snapshot date(s) without a bar (snapshots must be dated on trading days up to the last bar, "
            f"{last_day}): {saturday} (Saturday)")  # fmt: skip

    prices_csv.write_bytes(b"")
    refused(f"fetch failed: {prices_csv}: the file is empty (0 bytes)")
