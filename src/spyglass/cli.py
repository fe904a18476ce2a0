"""The thin shell every stage script shares: config from argv/params.yaml, logging, clear errors."""

from __future__ import annotations

import inspect
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig
from sklearn.exceptions import ConvergenceWarning

from spyglass.config import load_config
from spyglass.data.store import StoreConflictError
from spyglass.data.yahoo import FetchError
from spyglass.schemas import DataValidationError

log = logging.getLogger("spyglass")

# Errors about the user's data or config: shown as one clear message, without a traceback.
USER_ERRORS = (DataValidationError, FetchError, FileNotFoundError, StoreConflictError)


def run_stage(main: Callable[[DictConfig], None], argv: list[str] | None = None) -> None:
    """Load the config (Hydra overrides from argv, else params.yaml) and run `main`; exit 1 on a user error."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Daily returns are ~1e-2, so ElasticNet's duality-gap tolerance is tiny and trips on noise-level gaps.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    cfg = load_config(sys.argv[1:] if argv is None else argv)
    try:
        main(cfg)
    except USER_ERRORS as exc:
        log.error("%s failed: %s", Path(inspect.getfile(main)).stem, exc)
        sys.exit(1)
