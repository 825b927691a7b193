"""Charge detail records."""
