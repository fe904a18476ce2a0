"""Load the run configuration: params.yaml as DVC sees it, or conf/ composed with Hydra overrides.

Library functions never read config files; only stage scripts call this module.
"""

from __future__ import annotations

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


def load_config(
    overrides: list[str] | None = None,
    params_path: str | Path = "params.yaml",
    config_dir: str | Path = "conf",
) -> DictConfig:
    """Config for a stage: params.yaml when there are no overrides (the DVC path), else a fresh composition."""
    if not overrides and Path(params_path).exists():
        return OmegaConf.load(params_path)
    return compose(overrides, config_dir)


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


if __name__ == "__main__":
    sys.stdout.write(composed_yaml(sys.argv[1:]))
