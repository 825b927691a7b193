"""Signed billing-component updates: a TUF repository on disk, served read-only.

``keys`` makes the four role keys and the initial root metadata
(``billserver component init-keys``); ``repository`` adds archives to the
repository (``billserver component publish``) and re-signs the timestamp;
``resign`` runs that re-signing on a schedule under the deployment lease;
``router`` serves the repository under ``/v1/updates/``.

The public API other domains use: the component version registration answers offer
(:func:`offered_version`).
"""

from .offered import offered_version

__all__ = ["offered_version"]
