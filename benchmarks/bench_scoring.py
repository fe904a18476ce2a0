"""App scoring benchmark: rebuild one day's features and score it with the saved models and the stack, against
the naive way (features for the whole history, then scoring every row), in the same run. Needs `make run` first.

    python benchmarks/bench_scoring.py [--out benchmarks/results/scoring.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from timing import best_of, write_report

from spyglass.app.scoring import live_score
from spyglass.config import load_config, to_plain
from spyglass.features.tables import FeatureTables, read_feature_tables
from spyglass.features.technical import ta_feature_table
from spyglass.live import model_row, technical_row
from spyglass.models.registry import score
from spyglass.models.training import model_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/scoring.json")
    args = parser.parse_args()
    cfg = to_plain(load_config())
    paths = cfg["paths"]
    if not Path(paths["meta_model"]).exists():
        raise SystemExit("no saved models: run `make run` first")
    prices = pd.read_parquet(paths["prices"])
    tables = read_feature_tables(paths)
    window = prices  # the whole history, as the app scores it
    today = window["date"].iloc[-1]
    day_options = tables.options[tables.options["date"] == today]
    day_index = tables.vol_index[tables.vol_index["date"] == today]

    def one_day():
        row = model_row(technical_row(window, cfg), [day_index, day_options, tables.extra.tail(1)], paths["base_dir"])
        return score(paths["base_dir"], paths["meta_model"], row)  # as spyglass.live.score_latest_day does

    def naive():
        ta = ta_feature_table(prices, cfg["features"]["technical"], float(cfg["data"]["risk_free_rate"]))
        frame = model_frame(FeatureTables(ta, tables.options, tables.extra, tables.vol_index), cfg)
        return score(paths["base_dir"], paths["meta_model"], frame.features)

    one_day()
    seconds = best_of(5, one_day)
    baseline = best_of(2, naive)
    live_score(cfg)  # warm-up: numba compilation of the options analytics
    refresh = best_of(3, lambda: live_score(cfg))
    report = {
        "scoring_one_day_seconds": round(seconds, 4),
        "target_seconds": 0.2,
        "includes": "technical features on the whole price history (as the app scores), joining that day's index and "
        "options features, "
        "3 models + stack",
        "baseline": "features for the whole history and scoring every row",
        "baseline_seconds": round(baseline, 3),
        "speedup_vs_baseline": round(baseline / seconds, 1),
        "live_refresh_seconds": round(refresh, 3),
        "live_refresh_includes": f"the app's refresh button: data={cfg['data']['source']} through its provider, "
        "the latest snapshot's options features, scoring, the day's allocation",
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
