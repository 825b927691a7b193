"""Invoices and statements: monthly documents, their runs, and paying them.

The public API other domains use: the bill-to hierarchy (:func:`load_hierarchy`),
a document computed for any period (:func:`compute_document`) and the runs.
"""

from .gather import Hierarchy, load_hierarchy
from .service import compute_document, mark_overdue, run_period, settle_payments

__all__ = [
    "Hierarchy",
    "compute_document",
    "load_hierarchy",
    "mark_overdue",
    "run_period",
    "settle_payments",
]
