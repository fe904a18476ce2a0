"""allocate: turn the stack's walk-forward predictions into volatility-adjusted, clipped, smoothed, rebalanced
positions with the chosen sizing (or the plain vol target, when the comparison found nothing that beats it)."""

from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.config import to_plain
from spyglass.io import read_table, write_parquet
from spyglass.schemas import AllocationsSchema, MetaOofSchema, PricesSchema, validate
from spyglass.strategy.allocation import get_allocations
from spyglass.strategy.choice import read_choice


def main(cfg: DictConfig) -> None:
    predictions = read_table(cfg.paths.meta_oof, MetaOofSchema)
    prices = read_table(cfg.paths.prices, PricesSchema)
    plan = read_choice(cfg.paths.choice).plan(to_plain(cfg.allocation))
    allocations = validate(
        get_allocations(predictions, prices, to_plain(cfg.allocation), plan), AllocationsSchema, "allocations"
    )
    write_parquet(allocations, cfg.paths.allocations)
    latest = allocations.iloc[-1]
    sizing = plan.method or "plain vol target"
    log.info("allocate: %d days (%s, %s); latest %s allocation %.3f", len(allocations), sizing, plan.rebalance,
             latest["date"].date(), latest["allocation"])  # fmt: skip


if __name__ == "__main__":
    run_stage(main)
