"""Signal benchmark: is the default worth acting on? The pipeline's own stage scripts (as dvc runs them, here in
one process, outputs in a temporary folder) on the sample's S&P 500 bars, once with the volatility indices
computed from its simulated chains and once with CBOE's real VIX history (`--vix`, by default
../shared/data/vix-daily.csv where present). For each: every candidate of the comparison (net Sharpe, difference
to its vol target with the interval, turnover), the probability of backtest overfitting, the rule's choice, and
the default the pipeline then runs (net Sharpe, turnover, difference to the vol target), beside issue 25's
targets. The run's wall time is the baseline the stages' own times are read against.

    python benchmarks/bench_signal.py [--out benchmarks/results/signal.json] [--vix PATH]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf
from timing import write_report

from spyglass.cli import run_stage
from spyglass.pipeline import STAGES

REPO = Path(__file__).resolve().parents[1]
TARGETS = {
    "real_vix": "default net Sharpe >= 0.45 and >= the vol target's + 0.05, turnover <= 6 a year, PBO < 0.3",
    "simulated": "default never below the vol target's net Sharpe by more than 0.02",
}


def run_pipeline(out: Path, overrides: list[str]) -> float:
    """Every stage script, in order, with its outputs under `out`; the seconds it took."""
    paths = OmegaConf.load(REPO / "conf" / "paths" / "default.yaml")
    placed = [f"paths.{key}={out}/{value}" for key, value in paths.items()]
    started = time.perf_counter()
    for stage in STAGES:
        spec = importlib.util.spec_from_file_location(f"{stage}_stage", REPO / "stages" / f"{stage}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        run_stage(module.main, [*overrides, *placed])
    return time.perf_counter() - started


def summary(out: Path, seconds: float) -> dict:
    """The comparison's table and choice, and the default's backtest against its vol target."""
    ablation = json.loads((out / "metrics" / "ablation.json").read_text())
    backtest = json.loads((out / "metrics" / "backtest.json").read_text())
    against = backtest["verdict"]["against"]
    return {
        "seconds": round(seconds, 1),
        "scored": ablation["scored"],
        "pbo": (ablation["pbo"] or {}).get("pbo"),
        "spa_pvalue": ablation["spa_pvalue"],
        "candidates": {
            name: {
                "sharpe_net": e["sharpe_net"],
                "vol_target_sharpe_net": e["vol_target_sharpe_net"],
                "against_vol_target": e["against_vol_target"],
                "turnover": e["turnover"],
                "ic": e["ic"],
                "ic_t": e["ic_t"],
            }
            for name, e in ablation["candidates"].items()
        },
        "choice": ablation["choice"],
        "default": {
            "period": backtest["period"],
            "sharpe_net": backtest["strategy"]["sharpe"],
            "turnover": backtest["strategy"]["turnover"],
            "vol_target_sharpe_net": backtest["vol_target"]["sharpe"],
            "buy_and_hold_sharpe": backtest["buy_and_hold"]["sharpe"],
            "against_vol_target": against["vol_target"],
            "against_buy_and_hold": against["buy_and_hold"],
            "headline": backtest["verdict"]["headline"],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/signal.json")
    parser.add_argument("--vix", default=str(REPO.parent / "shared" / "data" / "vix-daily.csv"))
    args = parser.parse_args()
    runs = {"simulated": []}
    if Path(args.vix).exists():
        runs["real_vix"] = [f"data.indices_path={Path(args.vix).resolve()}"]
    report = {}
    with tempfile.TemporaryDirectory(prefix="bench-signal.") as folder:
        os.environ["SPYGLASS_TIMINGS_DIR"] = str(Path(folder) / "timings")  # not the repo's timings/
        for name, overrides in runs.items():
            out = Path(folder) / name
            report[name] = summary(out, run_pipeline(out, ["tuning.storage=null", *overrides])) | {
                "target": TARGETS[name]
            }
    write_report(report, args.out)


if __name__ == "__main__":
    main()
