"""Config: params.yaml is the composition of conf/, and every config option composes into a usable config."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from spyglass.config import compose, composed_yaml, load_config, to_plain
from spyglass.models.base import build_estimator
from spyglass.strategy.allocation import SIZING_METHODS


def test_params_yaml_equals_the_composition_of_conf(repo_root):
    committed = OmegaConf.to_container(OmegaConf.load(repo_root / "params.yaml"))
    assert committed == to_plain(compose([], repo_root / "conf")), "params.yaml drifted: run `make params`"


def test_composed_yaml_round_trips(repo_root):
    text = composed_yaml(["allocation.max_position=1.5"], repo_root / "conf")
    assert OmegaConf.create(text).allocation.max_position == 1.5


def option_names(repo_root, group: str) -> list[str]:
    return sorted(p.stem for p in (repo_root / "conf" / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["data", "tuning", "allocation", "backtest", "meta", "cv", "features", "paths"])
def test_every_option_of_every_group_composes(repo_root, group):
    for option in option_names(repo_root, group):
        cfg = to_plain(compose([f"{group}={option}"], repo_root / "conf"))
        assert cfg[group], f"{group}={option} composed to an empty section"


def test_every_model_config_builds_its_estimator(repo_root):
    cfg = to_plain(compose([], repo_root / "conf"))
    assert set(cfg["model"]) == set(option_names(repo_root, "model"))
    for name, model_cfg in cfg["model"].items():
        estimator = build_estimator(model_cfg["factory"], model_cfg["params"], seed=0)
        assert hasattr(estimator, "fit") and hasattr(estimator, "predict"), name
    assert cfg["allocation"]["method"] in SIZING_METHODS


def test_model_group_selects_a_subset_and_keys_override(repo_root):
    cfg = to_plain(compose(["model=[xgboost]", "model.xgboost.params.max_depth=5"], repo_root / "conf"))
    assert list(cfg["model"]) == ["xgboost"]
    assert cfg["model"]["xgboost"]["params"]["max_depth"] == 5


def test_experiment_debug_preset_shortens_the_run(repo_root):
    default = to_plain(compose([], repo_root / "conf"))
    debug = to_plain(compose(["experiment=debug"], repo_root / "conf"))
    assert debug["data"]["start"] > default["data"]["start"]
    assert debug["tuning"]["n_trials"] < default["tuning"]["n_trials"]


def test_load_config_reads_params_yaml_without_overrides_and_composes_with_them(repo_root, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("seed: 7\n")
    assert load_config([], params, repo_root / "conf").seed == 7
    assert load_config(["seed=9"], params, repo_root / "conf").seed == 9


def test_config_module_prints_the_composition(repo_root):
    out = subprocess.run(
        [sys.executable, "-m", "spyglass.config", "backtest.cost_bps=9"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert OmegaConf.create(out).backtest.cost_bps == 9
