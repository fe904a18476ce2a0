"""Live Yahoo Finance data: not yet supported (issue 4 builds it). Selecting it fails with a clear message."""

from __future__ import annotations

from spyglass.data import MarketData


class ProviderNotSupportedError(RuntimeError):
    """The configured data source exists in config but is not implemented yet."""


def load(data_cfg: dict, seed: int) -> MarketData:
    """Refuse clearly rather than pretend: live fetching is not built yet."""
    raise ProviderNotSupportedError(
        f"data=yfinance (ticker {data_cfg.get('ticker')!r}) is not yet supported; "
        "use data=sample (offline default) or data=synthetic"
    )
