"""ablation: does options data pay? The strategy on technical features only, then with the volatility-index
features, then with the chain-snapshot features (where included), on the same walk-forward folds; writes
metrics/ablation.json (the backtest's tearsheet shows it)."""

from omegaconf import DictConfig

from spyglass.ablation import feature_set_ablation
from spyglass.backtest.report import format_ablation
from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.features.tables import read_feature_tables
from spyglass.io import read_table, write_json
from spyglass.models.training import model_frame
from spyglass.schemas import PricesSchema


def main(cfg: DictConfig) -> None:
    plain = to_plain(cfg)
    frame = model_frame(read_feature_tables(plain["paths"]), plain)
    result = feature_set_ablation(frame, read_table(cfg.paths.prices, PricesSchema), plain)
    write_json(result, f"{cfg.paths.metrics_dir}/ablation.json")
    log.info("ablation:\n%s", format_ablation(result))


if __name__ == "__main__":
    run_stage(main)
