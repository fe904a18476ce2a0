from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spyglass.backtest.engine import run_backtest
from spyglass.backtest.report import backtest_summary, plot_tables


def setup():
    dates = pd.bdate_range("2021-01-04", periods=5)
    prices = pd.DataFrame({"date": dates, "adj_close": [100.0, 110.0, 99.0, 99.0, 108.9]})
    allocations = pd.DataFrame({"date": dates[:4], "allocation": [1.0, 0.5, 2.0, 0.0]})
    return prices, allocations


def test_position_decided_at_close_t_earns_the_t_plus_1_return_with_costs_and_financing():
    prices, allocations = setup()
    rf = 0.0252  # 1 bp per day
    daily = run_backtest(allocations, prices, cost_bps=10.0, risk_free_rate=rf)
    assert list(daily["date"]) == list(prices["date"].iloc[1:])
    np.testing.assert_allclose(daily["position"], [1.0, 0.5, 2.0, 0.0])
    np.testing.assert_allclose(daily["asset_return"], [0.1, -0.1, 0.0, 0.1])
    np.testing.assert_allclose(daily["turnover"], [1.0, 0.5, 1.5, 2.0])
    gross = np.array([0.1, 0.5 * -0.1 + 0.5 * 1e-4, 2.0 * 0.0 - 1.0 * 1e-4, 1e-4])
    np.testing.assert_allclose(daily["strategy_return_gross"], gross)
    np.testing.assert_allclose(daily["cost"], [1e-3, 5e-4, 1.5e-3, 2e-3])
    np.testing.assert_allclose(daily["equity"], np.cumprod(1 + gross - daily["cost"]))
    np.testing.assert_allclose(daily["benchmark_equity"], [1.1, 0.99, 0.99, 1.089])
    assert daily["drawdown"].iloc[1] == pytest.approx(daily["equity"].iloc[1] / daily["equity"].iloc[0] - 1)


def test_summary_and_plot_tables_cover_strategy_and_buy_and_hold():
    prices, allocations = setup()
    daily = run_backtest(allocations, prices, 0.0, 0.0)
    summary = backtest_summary(daily, 0.0)
    assert set(summary) == {"strategy", "strategy_gross", "buy_and_hold", "period"}
    assert summary["strategy"] == summary["strategy_gross"]
    assert summary["buy_and_hold"]["exposure"] == 1.0
    period = {"start": "2021-01-05", "end": "2021-01-08", "days": 4, "cost_bps": 0.0, "slippage_bps": 0.0}
    assert summary["period"] == period
    tables = plot_tables(daily, allocations)
    assert list(tables["equity.csv"].columns) == ["date", "strategy", "buy_and_hold"]
    assert len(tables["allocation.csv"]) == 4


def test_no_overlap_is_an_error():
    prices, allocations = setup()
    with pytest.raises(ValueError, match="no day"):
        run_backtest(allocations.iloc[-1:].assign(date=prices["date"].iloc[-1]), prices, 0.0, 0.0)


def test_formatted_summary_lists_every_metric_for_each_series():
    from spyglass.backtest.metrics import METRICS
    from spyglass.backtest.report import format_summary

    prices, allocations = setup()
    daily = run_backtest(allocations, prices, 5.0, 0.0, slippage_bps=1.5)
    text = format_summary(backtest_summary(daily, 5.0, slippage_bps=1.5))
    expected = "Backtest 2021-01-05 .. 2021-01-08 (4 days, costs 5.0 bp + slippage 1.5 bp per unit of turnover)"
    assert text.splitlines()[0] == expected
    assert "strategy (net)" in text and "buy & hold" in text
    assert len(text.splitlines()) == 2 + len(METRICS)


def test_a_risk_free_column_in_the_prices_overrides_the_constant_rate():
    prices, allocations = setup()
    prices["risk_free_daily"] = [1e-4, 2e-4, 3e-4, 4e-4, 5e-4]  # the rate for the day starting at each date
    daily = run_backtest(allocations.assign(allocation=0.0), prices, 0.0, risk_free_rate=0.5)
    np.testing.assert_allclose(daily["risk_free_return"], [1e-4, 2e-4, 3e-4, 4e-4])
    np.testing.assert_allclose(daily["strategy_return"], daily["risk_free_return"])  # all cash earns the rate


def test_slippage_adds_to_the_cost_per_unit_turnover():
    prices, allocations = setup()
    plain = run_backtest(allocations, prices, cost_bps=10.0, risk_free_rate=0.0)
    slipped = run_backtest(allocations, prices, cost_bps=10.0, risk_free_rate=0.0, slippage_bps=5.0)
    np.testing.assert_allclose(slipped["cost"], plain["cost"] * 1.5)


def test_vol_target_benchmark_runs_with_the_same_costs_and_is_summarised():
    from spyglass.backtest.engine import backtest_with_benchmarks
    from spyglass.backtest.report import rolling_sharpe

    prices, allocations = setup()
    allocations["allocation_vol_target"] = [0.5, 0.5, 1.0, 1.0]
    daily = backtest_with_benchmarks(allocations, prices, 10.0, 0.0)
    np.testing.assert_allclose(daily["vol_target_position"], [0.5, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(daily["vol_target_return"], [0.05 - 5e-4, -0.05, 0.0 - 5e-4, 0.1])
    summary = backtest_summary(daily, 10.0)
    assert summary["vol_target"]["turnover"] == pytest.approx((0.5 + 0 + 0.5 + 0) / 4 * 252)
    tables = plot_tables(daily, allocations)
    assert list(tables["rolling_sharpe.csv"].columns) == ["date", "strategy", "buy_and_hold", "vol_target"]
    r = pd.Series(np.random.default_rng(0).normal(0.001, 0.01, 300))
    expected = r.iloc[-252:].mean() / r.iloc[-252:].std() * np.sqrt(252)
    assert rolling_sharpe(r, r * 0).iloc[-1] == pytest.approx(expected)


def test_tearsheet_is_self_contained_with_every_metric_and_chart():
    from spyglass.backtest.engine import backtest_with_benchmarks
    from spyglass.backtest.metrics import METRICS
    from spyglass.backtest.tearsheet import render_charts, tearsheet_html

    prices, allocations = setup()
    allocations["allocation_vol_target"] = 1.0
    daily = backtest_with_benchmarks(allocations, prices, 2.0, 0.0)
    charts = render_charts(daily, allocations)
    assert set(charts) == {"equity", "drawdown", "allocation", "rolling_sharpe"}
    assert all(png.startswith(b"\x89PNG") for png in charts.values())
    page = tearsheet_html(backtest_summary(daily, 2.0), charts, "test <run>")
    assert "test &lt;run&gt;" in page and page.count("data:image/png;base64,") == 4
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for metric in METRICS.values():
        assert f">{metric.title}</th>" in page


def test_leveraged_positions_leave_the_hull_score_null_with_a_note():
    from spyglass.backtest.report import format_summary

    prices, allocations = setup()
    allocations["allocation"] = 2.5
    summary = backtest_summary(run_backtest(allocations, prices, 0.0, 0.0), 0.0)
    assert summary["strategy"]["hull_score"] is None
    assert summary["buy_and_hold"]["hull_score"] is not None
    assert "the competition scores positions in [0, 2] only" in summary["notes"]["strategy"]["hull_score"]
    assert "n/a: strategy Hull Tactical competition score: positions range over [2.5, 2.5]" in format_summary(summary)
