"""The thin shell every stage script shares: config from argv/params.yaml, logging, clear errors."""

from __future__ import annotations

import inspect
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig

from spyglass.config import load_config, split_tickers
from spyglass.errors import UserError
from spyglass.runtime import numerics_pinned
from spyglass.timing import timed_stage

log = logging.getLogger("spyglass")

# Errors about the user's data or config: shown as one clear message, without a traceback.
USER_ERRORS = (UserError, FileNotFoundError)


def run_stage(main: Callable[[DictConfig], None], argv: list[str] | None = None) -> None:
    """Load the config (`--ticker NAME` picks the portfolio entry, the first by default; Hydra overrides from
    argv, else params.yaml) and run `main`; exit 1 on a user error."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not numerics_pinned():
        raise RuntimeError("numpy was imported before spyglass: import spyglass first (see spyglass.runtime)")
    # Daily returns are ~1e-2, so ElasticNet's duality-gap tolerance is tiny and trips on noise-level gaps
    # (sklearn's ConvergenceWarning, matched by its text so the shell needn't import sklearn).
    warnings.filterwarnings("ignore", message="Objective did not converge")
    name = Path(inspect.getfile(main)).stem
    tickers, overrides = split_tickers(sys.argv[1:] if argv is None else argv)
    if len(tickers) > 1:
        raise SystemExit(f"{name}: one --ticker at a time (got {', '.join(tickers)})")
    ticker = tickers[0] if tickers else None
    try:
        with timed_stage(name) as clock:  # timings/<stage>@<ticker>.json, on success
            cfg = load_config(overrides, ticker=ticker)
            clock.stage = f"{name}@{cfg.data.name}"
            main(cfg)
    except USER_ERRORS as exc:
        log.error("%s failed: %s", name, exc)
        sys.exit(1)
