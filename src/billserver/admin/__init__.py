"""The support API."""
