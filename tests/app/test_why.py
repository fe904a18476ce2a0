"""Why today's allocation: the record and the re-score side by side, the sizing in words, the chart's bars."""

from __future__ import annotations

import pandas as pd
import pytest

from spyglass.app import charts
from spyglass.app.scoring import load_artifacts
from spyglass.app.why import contributions_table, rescored_figures, walk_forward_record, why_markdown
from spyglass.live import score_stored_day
from spyglass.models.explain import explain_saved


@pytest.fixture(scope="module")
def scored(artifacts_root, small_cfg):
    artifacts = load_artifacts(small_cfg["paths"], artifacts_root)
    day = score_stored_day(small_cfg, artifacts_root)
    paths = small_cfg["paths"]
    explanation = explain_saved(artifacts_root / paths["base_dir"], artifacts_root / paths["meta_model"], day.features)
    return artifacts, day, explanation


def test_the_stored_day_is_the_records_last_and_its_explanation_adds_up(scored):
    artifacts, day, explanation = scored
    allocations = artifacts.tables["allocations"]
    assert day.date == pd.Timestamp(allocations["date"].iloc[-1])
    assert explanation.predictions["stack"] == pytest.approx(day.predictions["prediction"], rel=1e-5)
    for name, prediction in day.base_predictions.items():
        assert explanation.predictions[name] == pytest.approx(prediction, rel=1e-5)
    assert explanation.contributions["stack"].sum() + explanation.base_values["stack"] == pytest.approx(
        explanation.predictions["stack"]
    )


def test_record_and_rescore_share_a_table_and_say_which_is_which(scored, small_cfg):
    artifacts, day, explanation = scored
    allocations = artifacts.tables["allocations"]
    record = walk_forward_record(allocations, artifacts.tables["base_oof"])
    assert record.prediction == pytest.approx(float(allocations["prediction"].iloc[-1]))
    assert set(record.base) == {"ridge", "elasticnet", "xgboost", "lightgbm"}
    assert record.previous_allocation == pytest.approx(float(allocations["allocation"].iloc[-2]))
    text = why_markdown(record, rescored_figures(day, allocations), explanation, small_cfg["allocation"], "a..b")
    line = next(row for row in text.splitlines() if row.startswith("| prediction of the stack"))
    assert f"{record.prediction * 1e4:+.1f} bp" in line and f"{day.predictions['prediction'] * 1e4:+.1f} bp" in line
    assert "fitted only on earlier rows" in text and "in-sample" in text
    assert "clipped to [0, 2]" in text and "Sizing (vol_tilt): raw position" in text
    assert "the weekly schedule only" in text and "(5-day excess log return)" in line

    later = rescored_figures(day, allocations)
    later = type(later)(day.date + pd.Timedelta(days=1), *list(vars(later).values())[1:])  # a new day
    newer = why_markdown(record, later, explanation, small_cfg["allocation"], "a..b")
    assert f"walk-forward record (ends {record.date:%Y-%m-%d})" in newer
    stack_row = next(row for row in newer.splitlines() if row.startswith("| prediction of the stack"))
    assert stack_row.split("|")[2].strip() == "—"  # the record has no figure for a day after it


def test_the_contributions_chart_puts_the_largest_at_the_top(scored):
    _, day, explanation = scored
    table = contributions_table(explanation, 5)
    fig = charts.contributions(table, explanation.predictions["stack"] * 1e4, explanation.base_values["stack"] * 1e4,
                               day.date)  # fmt: skip
    bars = fig.data[0]
    assert list(bars.y)[::-1] == table["label"].tolist()
    assert abs(bars.x[-1]) == max(abs(v) for v in bars.x)  # the top bar is the largest
    assert bars.x[-1] == pytest.approx(explanation.top(1)["stack"].iloc[0] * 1e4)
    assert f"{day.date:%Y-%m-%d}" in fig.layout.title.text
