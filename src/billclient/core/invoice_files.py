"""Invoice PDFs kept in a profile's data directory, downloaded through the API.

The file name carries the period and the invoice id, so a month's invoice is found
again (and overwritten with the server's current rendering, e.g. once it is paid).
Writes are atomic: a reader never sees half a document.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from billclient.protocol.invoices import Invoice

from .api import ApiClient
from .errors import BillingError

__all__ = ["INVOICE_DIR", "download_invoice_pdf", "invoice_pdf_path", "save_invoice_pdf"]

INVOICE_DIR = "invoices"
"""The folder under the profile's data directory that holds the PDFs."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def invoice_pdf_path(data_dir: Path, invoice: Invoice) -> Path:
    """Where the PDF of ``invoice`` is kept: ``<data_dir>/invoices/invoice-<period>-<id>.pdf``."""
    name = _UNSAFE.sub("_", f"invoice-{invoice.period}-{invoice.invoice_id}").strip("._")
    return data_dir / INVOICE_DIR / f"{name}.pdf"


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


async def save_invoice_pdf(api: ApiClient, invoice: Invoice, data_dir: Path) -> Path:
    """Download the PDF of ``invoice`` and keep it under ``data_dir``; its path.

    Raises the API's errors, or :class:`BillingError` when the file cannot be written.
    """
    path = invoice_pdf_path(data_dir, invoice)
    await download_invoice_pdf(api, invoice.invoice_id, path)
    return path


async def download_invoice_pdf(api: ApiClient, invoice_id: str, path: Path) -> int:
    """Download the PDF of invoice ``invoice_id`` to ``path`` (atomically); its size.

    Raises the API's errors, or :class:`BillingError` when the file cannot be written.
    """
    content = await api.invoice_pdf(invoice_id)
    try:
        await asyncio.to_thread(_write, path, content)
    except OSError as error:
        reason = error.strerror or str(error)
        raise BillingError(f"cannot save the invoice PDF to {path}: {reason}") from None
    return len(content)
