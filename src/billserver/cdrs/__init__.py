"""Charge detail records: the one writer, the wire form, ``GET /v1/cdrs``."""

from .views import cdr_view
from .writer import ChargeRecord, write_records

__all__ = ["ChargeRecord", "cdr_view", "write_records"]
