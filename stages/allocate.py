"""allocate: turn the stack's walk-forward predictions into volatility-adjusted, clipped, smoothed positions."""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.io import read_table, write_parquet
from spyglass.schemas import AllocationsSchema, MetaOofSchema, PricesSchema, validate
from spyglass.strategy.allocation import get_allocations


def main(cfg: DictConfig) -> None:
    predictions = read_table(cfg.paths.meta_oof, MetaOofSchema)
    prices = read_table(cfg.paths.prices, PricesSchema)
    allocations = validate(
        get_allocations(predictions, prices, to_plain(cfg.allocation)), AllocationsSchema, "allocations"
    )
    write_parquet(allocations, cfg.paths.allocations)
    latest = allocations.iloc[-1]
    log.info(
        "allocate: %d days; latest %s allocation %.3f", len(allocations), latest["date"].date(), latest["allocation"]
    )


if __name__ == "__main__":
    run_stage(main)
