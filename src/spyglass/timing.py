"""Where a stage's time goes: its start-up (interpreter and imports, before the stage's code runs), its run, and
the run's steps — load (every `read_table`), validate (every schema check), write (every atomic write) and
compute (the rest) — written to `timings/<stage>.json` after a successful run. The I/O helpers record their
steps themselves, so every stage is timed the same way without a line in it.

The files are listed as metrics in dvc.yaml (`dvc metrics show` prints them) but are no stage's output and are
not committed: wall times differ from run to run and machine to machine, so they must not touch `dvc.lock`.
`spyglass-timings` prints them as one table (`make run` does, after the pipeline).

    with step("fit"):  # a step of a stage's own, where one matters
        model.fit(x, y)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spyglass.io import json_text, write_with
from spyglass.pipeline import STAGES
from spyglass.stage_clock import StageClock, process_age_seconds, running

TIMINGS_DIR = Path("timings")  # under the working directory (the repo root for `dvc repro`)


def timings_dir() -> Path:
    """Where the reports go: $SPYGLASS_TIMINGS_DIR (tests running a stage in-process point it elsewhere), else
    TIMINGS_DIR."""
    return Path(os.environ.get("SPYGLASS_TIMINGS_DIR") or TIMINGS_DIR)


@contextmanager
def timed_stage(stage: str) -> Iterator[StageClock]:
    """Time a stage run; steps inside it are recorded with spyglass.stage_clock.step. The report is written only
    on success."""
    clock = StageClock(stage, start_up_seconds=process_age_seconds())
    with running(clock):
        yield clock
    write_timing(clock.report())


def write_timing(report: dict, directory: Path | None = None) -> Path:
    """Write a stage's timing report as <directory>/<stage>.json (atomically; default: timings_dir())."""
    path = (directory or timings_dir()) / f"{report['stage']}.json"
    write_with(lambda tmp: Path(tmp).write_text(json_text(report)), path)
    return path


def timing_table(directory: Path | None = None) -> str:
    """Every stage's last timing, in pipeline order where known, as a fixed-width table."""
    directory = directory or timings_dir()
    reports = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    if not reports:
        return f"no stage timings in {directory}/ yet (run the pipeline)"
    order = list(STAGES)

    def place(report: dict) -> tuple:  # by ticker (stage@ticker), then in pipeline order
        stage, _, ticker = report["stage"].partition("@")
        return ticker, order.index(stage) if stage in order else len(order), stage

    reports.sort(key=place)
    lines = [f"{'stage':<24}{'start-up':>10}{'run':>9}  recorded (UTC)        steps (s)"]
    for r in reports:
        start_up = "" if r["start_up_seconds"] is None else f"{r['start_up_seconds']:.1f}"
        steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in r["steps"].items())
        lines.append(f"{r['stage']:<24}{start_up:>10}{r['run_seconds']:>9.1f}  {r['recorded']:<22}{steps}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`spyglass-timings [DIRECTORY]`: every stage's last timing as one table."""
    args = sys.argv[1:] if argv is None else argv
    print(timing_table(Path(args[0]) if args else None))


if __name__ == "__main__":
    main()
