"""The client without Qt: settings and profiles, credentials (keyring), the server pool
with failover, the API client, live events, and the :class:`BillingClient` facade.

Modules: ``errors`` (the exception tree), ``settings``, ``bus``, ``failover`` (pure
policy), ``pool``, ``urls``, ``credentials``, ``api``, ``live``, ``client``.
"""

import sys

# httpx's package imports its command-line client (click, rich, pygments: about 0.1 s)
# whenever those happen to be installed, and the core never runs it. A None entry in
# sys.modules makes that one import fail, which httpx expects and handles: httpx.main()
# then says that the command-line client is not available. Only done when httpx is not
# loaded yet, so a process that imported httpx itself keeps the whole of it.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
