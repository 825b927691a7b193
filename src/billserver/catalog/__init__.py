"""The catalogue file (CATALOG.md): services, plans, accounts, users, vouchers.

Pure: :func:`load_catalog` / :func:`parse_catalog` read TOML and return a checked
:class:`Catalog` of frozen values, or raise one :class:`CatalogError` listing
every problem (table, row and key). Importing it into the database is
``billserver.catalog.importer``'s job.

Exception tree::

    CatalogError    the file is missing, unreadable, not TOML, or has bad content
"""

from __future__ import annotations

from .keys import DEFAULT_GRANT, MAX_INT64
from .model import AccountDef, Catalog, CatalogError, PlanDef, ServiceDef, UserDef, VoucherDef
from .parse import load_catalog, parse_catalog

__all__ = [
    "DEFAULT_GRANT",
    "MAX_INT64",
    "AccountDef",
    "Catalog",
    "CatalogError",
    "PlanDef",
    "ServiceDef",
    "UserDef",
    "VoucherDef",
    "load_catalog",
    "parse_catalog",
]
