"""Turning predictions into positions."""
