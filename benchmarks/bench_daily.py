"""Daily-run benchmark: `python -m spyglass.daily` end to end (a new process, as cron runs it) after a first
run, against the same run in a warm process and against the process start-up alone (Python, imports), in the
same run. Needs `make run` first; the journal goes to a temporary folder, not data/journal.

    python benchmarks/bench_daily.py [--out benchmarks/results/daily.json]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import best_of, write_report

from spyglass.config import load_config, to_plain
from spyglass.daily import run_daily


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/daily.json")
    args = parser.parse_args()
    paths = to_plain(load_config())["paths"]
    if not Path(paths["meta_model"]).exists():
        raise SystemExit("no saved models: run `make run` first")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("backtest.json", "fetch.json"):  # the record compares with the backtest; fetch.json says
            shutil.copy(Path(paths["metrics_dir"]) / name, tmp)  # which simulated data the stored day is
        overrides = [f"paths.journal={tmp}/signals.parquet", f"paths.metrics_dir={tmp}"]
        command = [sys.executable, "-m", "spyglass.daily", *overrides]

        def new_process() -> None:
            subprocess.run(command, check=True, capture_output=True)

        new_process()  # the first run: records the day (numba's cache is warm after `make run`)
        cold_process = best_of(3, new_process)
        start_up = best_of(3, lambda: subprocess.run([sys.executable, "-c", "import spyglass.daily"], check=True))
        cfg = to_plain(load_config(overrides))
        run_daily(cfg)
        in_process = best_of(3, lambda: run_daily(cfg))
    write_report(
        {
            "daily_run_seconds": round(cold_process, 2),
            "target_seconds": 10.0,
            "includes": f"a new process: data={cfg['data']['source']} (a simulated source's latest day read back as "
            "the fetch stage stored it), the day's features, "
            "3 models + stack, get_allocations over the walk-forward record, the journal read, filled and written",
            "baseline": "the same process's start-up alone (python -c 'import spyglass.daily')",
            "start_up_seconds": round(start_up, 2),
            "ratio_to_start_up": round(cold_process / start_up, 2),
            "warm_process_seconds": round(in_process, 2),
        },
        args.out,
    )


if __name__ == "__main__":
    main()
