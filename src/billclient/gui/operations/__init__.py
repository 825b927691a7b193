"""What the views ask of the core: small awaited operations, one module per area.

Modelled on Anki's ``aqt/operations``: a view awaits an operation (keyword arguments
after the client) and shows what it returns; it never builds a request, touches the
file system or reaches into the core's parts. The views and models may use these and
the :class:`~billclient.core.client.BillingClient` facade (``refresh_account``,
``sign_in``, ``sign_out``, ``use_file_store`` and ``tokens_persist``, ``runner``,
``settings``, ``pool`` and ``live`` state);
an import-linter contract in ``pyproject.toml`` keeps ``billclient.core.api``,
``billclient.core.invoice_files``, ``billclient.core.updater``, the component store
and the file-system modules out of ``gui.views`` and ``gui.models``.

None of these modules imports Qt: they are the GUI's use of the core, tested against a
real server like the rest of it.

Modules: ``account`` (the account, its services and sessions, devices, password,
component version and update check),
``records`` (charge records, statement, CSV export), ``funding`` (top-ups),
``invoices`` (list, read, pay, PDF), ``support`` (the support console's calls),
``insight`` (a month of spending, from the server's records).
"""

from billclient.core.api import Page

__all__ = ["Page"]
