"""Utilities for skcoop's own modules."""
