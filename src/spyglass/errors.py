"""The user-error family: bad config or bad input data. A stage reports one of these in one line (what, where,
the raw bad text), exits 1 and replaces nothing; anything else is a bug and keeps its traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad config or input data the user can fix."""


class ConfigError(UserError, ValueError):
    """A config value that cannot work (names the key and the allowed values)."""


class DataError(UserError, ValueError):
    """Input data that cannot serve what the config asks (too short, no overlap, non-finite values)."""
