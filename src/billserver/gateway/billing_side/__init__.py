"""The billing server's side of the metering gateway: the ``/v1/gateway`` routes a
gateway calls, its counts and the mismatch flags support sees (the session gateway
tokens it issues are ``gateway/tokens.py``, which the gateway checks too).

The public API other domains use: the ``gateway`` member of ``POST /v1/sessions``
(:func:`gateway_access`), the support views' flags (:func:`flag_cdrs`,
:func:`flag_live`) and their :class:`Tolerance`, built once when the application
starts (:func:`gateway_tolerance`).
"""

from typing import Annotated

from fastapi import Depends, Request

from .access import Tolerance, flag_cdrs, flag_live, gateway_access

__all__ = [
    "GatewayTolerance",
    "Tolerance",
    "flag_cdrs",
    "flag_live",
    "gateway_access",
    "gateway_tolerance",
]


async def gateway_tolerance(request: Request) -> Tolerance:
    """The application's tolerance (``app.state.gateway_tolerance``, set by create_app)."""
    tolerance: Tolerance = request.app.state.gateway_tolerance
    return tolerance


GatewayTolerance = Annotated[Tolerance, Depends(gateway_tolerance)]
"""A route's gateway tolerance."""
