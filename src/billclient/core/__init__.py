"""The client without Qt: settings and profiles, credentials (keyring), the server pool
with failover, the API client, live events, sessions, and the :class:`BillingClient`
facade that front ends build on.

Modules:

- ``client``: :class:`BillingClient`, one profile's parts and its operations;
- ``errors``: the exception tree; ``paths`` and ``settings``: profiles, their
  directories and the settings file; ``urls``: which server addresses are allowed;
- ``bus``: the core's events for the front ends; ``linkstate``: the connection states;
- ``failover`` (pure policy) and ``pool``: one request tried server after server;
- ``credentials``: tokens in the keychain, or (an explicit choice where none exists)
  in the profile's 0600 ``token_file``; ``atomic_file``: replacing a small file
  atomically (settings, token file); ``api``: every protocol call, bodies built from
  the protocol's request models; ``server_check``: what an address that is no billing
  server is (a gateway, another web server); ``live``: the Server-Sent Events stream;
- ``sessions``: the session runner (one per profile), a run's loop, its pure state
  machine and progress; ``journal``: the offline journal of session calls;
- ``gateway_client`` and ``gateway_run``: consuming gateway-served sessions;
- ``invoice_files``: invoice PDFs in the profile; ``updater``: signed billing
  component updates (python-tuf, fetched from the billing servers);
- ``insight``: spending per day, per service and the balance over time (pure);
  ``time_to_empty``: how long the money lasts at what the running services cost from
  now on (pure);
- ``words``: words for people that both front ends share (money in minor units, units
  and times; prices in words; how a session ended and a record was rated).
"""

import sys

# httpx's package imports its command-line client (click, rich, pygments: about 0.1 s)
# whenever those happen to be installed, and the core never runs it. A None entry in
# sys.modules makes that one import fail, which httpx expects and handles: httpx.main()
# then says that the command-line client is not available. Only done when httpx is not
# loaded yet, so a process that imported httpx itself keeps the whole of it.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
