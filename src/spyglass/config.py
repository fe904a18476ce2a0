"""Load the run configuration: params.yaml as DVC sees it, or conf/ composed with Hydra overrides.

Library functions never read config files; only stage scripts call this module.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from spyglass.errors import ConfigError

CONFIG_NAME = "config"


def compose(overrides: list[str] | None = None, config_dir: str | Path = "conf") -> DictConfig:
    """Compose `config_dir/config.yaml` with Hydra override strings (e.g. ``["data=synthetic"]``); a bad override
    is a ConfigError with Hydra's own explanation (the choices of a group, how to add a key)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(Path(config_dir).resolve()), version_base=None):
            return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides or []))
    except (HydraException, OmegaConfBaseException) as exc:
        lines = str(exc).split("\nConfig search path:")[0].splitlines()
        explanation = " ".join(line.strip() for line in lines if line.strip())
        raise ConfigError(f"config overrides {list(overrides or [])}: {explanation}") from None


TICKERS_DIR = "tickers"  # each portfolio entry's outputs: tickers/<name>/<path> (dvc.yaml's foreach says the same)


def in_ticker_folder(path: str, name: str) -> str:
    """A workspace path of portfolio entry `name`: under tickers/<name>/ (an absolute path, given by hand, stays
    as it is)."""
    return path if Path(path).is_absolute() else f"{TICKERS_DIR}/{name}/{path}"


def ticker_paths(paths: dict[str, str], name: str) -> dict[str, str]:
    """Every configured path for portfolio entry `name`, in its folder (`in_ticker_folder`), except the snapshot
    archive, which is <snapshot_archive>/<name>: the fetch stages depend on the whole archive folder, which DVC
    needs to exist before a new ticker's first run (archive/ always does; tickers/<new>/ does not)."""
    placed = {key: in_ticker_folder(path, name) for key, path in paths.items()}
    if "snapshot_archive" in paths:
        placed["snapshot_archive"] = f"{paths['snapshot_archive']}/{name}"
    return placed


def is_file_storage(location: str | None) -> bool:
    """Whether a tuning.storage names a file (Optuna's JournalStorage) rather than a database URL or nothing."""
    return bool(location) and "://" not in location


def select_ticker(cfg: dict, name: str | None = None) -> dict:
    """The config of one pipeline of the portfolio (a plain composed config): `data` with entry `name`'s settings
    merged in (its ticker at least) and `data.name` set to it, the paths of `ticker_paths` (and a journal file
    given as tuning.storage in the ticker's folder). Without a name, the portfolio's first entry."""
    portfolio = cfg.get("portfolio") or {}
    if not portfolio:
        raise ConfigError("the portfolio is empty: list at least one ticker under `portfolio` (conf/portfolio/)")
    name = name or next(iter(portfolio))
    if name not in portfolio:
        raise ConfigError(f"{name!r} is not in the portfolio; its entries: {', '.join(portfolio)}")
    entry = portfolio[name] or {}
    if "ticker" not in entry:
        raise ConfigError(f"portfolio entry {name!r} names no ticker (portfolio.{name}.ticker)")
    selected = {**cfg, "data": {**cfg["data"], **entry, "name": name}, "paths": ticker_paths(cfg["paths"], name)}
    storage = (cfg.get("tuning") or {}).get("storage")
    if is_file_storage(storage):  # a journal file is the ticker's own too (a database URL is shared)
        selected["tuning"] = {**cfg["tuning"], "storage": in_ticker_folder(storage, name)}
    return selected


def split_tickers(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the portfolio entries named by `--ticker NAME`, in order, none if not given; the other arguments: Hydra
    overrides)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--ticker", action="append", default=[])
    known, overrides = parser.parse_known_args(argv)
    return known.ticker, overrides


def load_config(
    overrides: list[str] | None = None,
    params_path: str | Path = "params.yaml",
    config_dir: str | Path = "conf",
    ticker: str | None = None,
) -> DictConfig:
    """Config for a stage, narrowed to one ticker of the portfolio (`select_ticker`; the first without one):
    params.yaml when there are no overrides (the DVC path), else a fresh composition."""
    composed = OmegaConf.load(params_path) if not overrides and Path(params_path).exists() else compose(
        overrides, config_dir)  # fmt: skip
    return OmegaConf.create(select_ticker(to_plain(composed), ticker))


def config_hash(cfg: dict) -> str:
    """First 12 hex digits of the SHA-256 of a (plain) config as canonical JSON: which settings produced a result."""
    from spyglass.io import json_text

    return hashlib.sha256(json_text(cfg).encode()).hexdigest()[:12]


def data_hash(cfg: dict) -> str:
    """The hash of what decides the fetched data: the data section and the seed."""
    return config_hash({"data": cfg["data"], "seed": cfg["seed"]})


def to_plain(cfg: Any) -> Any:
    """A DictConfig section as plain Python containers (what library functions take)."""
    return OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else cfg


def composed_yaml(overrides: list[str] | None = None, config_dir: str | Path = "conf") -> str:
    """The YAML text params.yaml should hold for these overrides."""
    header = "# Composed from conf/ by Hydra (`make params` or `dvc exp run -S ...`). Do not edit by hand.\n"
    return header + OmegaConf.to_yaml(compose(overrides, config_dir))


def main(argv: list[str] | None = None) -> None:
    """`spyglass-params [OVERRIDES ...]`: the composed config as YAML on stdout (what params.yaml holds)."""
    sys.stdout.write(composed_yaml(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
