"""Reusable widgets fed by plain data."""
