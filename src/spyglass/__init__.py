"""spyglass: market and option-chain data to a volatility-adjusted daily allocation, backtested honestly."""

from spyglass.runtime import pin_numerics

pin_numerics()  # before numpy loads: see spyglass.runtime

__version__ = "0.1.0"
