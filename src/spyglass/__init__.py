"""spyglass: market and option-chain data to a volatility-adjusted daily allocation, backtested honestly."""

__version__ = "0.1.0"
