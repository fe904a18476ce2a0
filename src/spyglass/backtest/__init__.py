"""Vectorised backtest and its metrics registry."""
