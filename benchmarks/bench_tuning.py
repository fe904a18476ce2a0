"""Tuning benchmark: train_base's core (nested Optuna tuning in every walk-forward window, then the final
refits) on the repo's sample data with the configured trial counts, run with 1 worker (the baseline, byte-identical
runs) and with `--workers` worker processes sharing each study through a journal file, in the same run. Needs
`make run` first (it reads the feature tables).

    python benchmarks/bench_tuning.py [--out benchmarks/results/tuning.json] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from timing import write_report

from spyglass.config import load_config, to_plain
from spyglass.features.tables import read_feature_tables
from spyglass.models.training import base_model_predictions


def timed_training(cfg: dict, tables, n_workers: int, storage: str) -> dict:
    tuning = {**cfg["tuning"], "n_workers": n_workers, "storage": storage}
    start = time.perf_counter()
    training = base_model_predictions(tables, {**cfg, "tuning": tuning})
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 1), "trials": len(training.trials),
            "oof_ic": {name: round(m["ic"], 4) for name, m in training.metrics.items()}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/tuning.json")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cfg = to_plain(load_config())
    if not Path(cfg["paths"]["ta_features"]).exists():
        raise SystemExit("no feature tables: run `make run` first")
    tables = read_feature_tables(cfg["paths"])
    with tempfile.TemporaryDirectory() as scratch:
        one = timed_training(cfg, tables, 1, f"{scratch}/one.journal")
        parallel = timed_training(cfg, tables, args.workers, f"{scratch}/parallel.journal")
    write_report(
        {
            "what": "train_base's core on the sample data: tuning in every walk-forward window, then final refits",
            "cores": os.cpu_count(),
            "trials_per_study": cfg["tuning"]["n_trials"],
            "baseline": "1 worker (today's byte-identical runs), measured in the same run",
            "one_worker": one,
            f"{args.workers}_workers": parallel,
            "speedup": round(one["seconds"] / parallel["seconds"], 2),
            "note": "parallel TPE is not deterministic: the ICs differ from one worker's, and between runs",
        },
        args.out,
    )


if __name__ == "__main__":
    main()
