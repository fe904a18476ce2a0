"""ablation: the comparison. Every horizon x feature set x sizing, walk-forward on the same days with error bars,
the probability of backtest overfitting and SPA p-values; the rule (docs/design.md) picks the candidate the rest
of the pipeline runs. Writes metrics/ablation.json (the tearsheet and the terminal show it) and the choice."""

from omegaconf import DictConfig

from spyglass.ablation import compare
from spyglass.backtest.report import format_comparison
from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.features.tables import read_feature_tables
from spyglass.io import read_table, write_json
from spyglass.schemas import PricesSchema


def main(cfg: DictConfig) -> None:
    plain = to_plain(cfg)
    prices = read_table(cfg.paths.prices, PricesSchema)
    comparison = compare(read_feature_tables(plain["paths"]), prices, plain)
    write_json(comparison.record, f"{cfg.paths.metrics_dir}/ablation.json")
    write_json(comparison.choice.as_dict(), cfg.paths.choice)
    log.info("ablation:\n%s", format_comparison(comparison.record))


if __name__ == "__main__":
    run_stage(main)
