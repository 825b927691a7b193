"""Signed billing-component updates: a TUF repository on disk, served read-only.

``keys`` makes the four role keys and the initial root metadata
(``billserver component init-keys``); ``repository`` adds archives to the
repository (``billserver component publish``) and re-signs the timestamp;
``resign`` runs that re-signing on a schedule under the deployment lease;
``router`` serves the repository under ``/v1/updates/``.
"""
