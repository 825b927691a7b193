"""The client without Qt: settings and profiles, credentials (keyring), the server pool
with failover, the API client, live events, and the :class:`BillingClient` facade.

Modules: ``errors`` (the exception tree), ``settings``, ``bus``, ``failover`` (pure
policy), ``pool``, ``urls``, ``credentials``, ``api``, ``live``, ``client``.
"""
