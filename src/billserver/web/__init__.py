"""The HTTP layer, below every domain: request context, auth, paging, problems, and
idempotent answers. It knows no domain; domains build their routes on it.

Exception tree::

    ApiError                 any refusal with an ErrorCode (-> problem+json)
"""

from .auth import (
    BearerToken,
    Caller,
    Support,
    TokenRejected,
    actor_for_token,
    authenticate,
    bearer_token,
    current_actor,
    require_role,
    token_hash,
)
from .context import Context, Ctx, context, refuse_nul
from .idempotent import (
    IN_PROGRESS,
    RESERVATION_S,
    IdempotencyKey,
    idempotent_response,
    outcome_response,
    run_idempotent,
    run_reserved,
)
from .paging import OrderParam, Page, PageParams, Window, WindowParams, page_response
from .problems import AUTH_RESPONSES, ApiError, paged, problem_response, problems
from .refusals import refusal_error

__all__ = [
    "AUTH_RESPONSES",
    "IN_PROGRESS",
    "RESERVATION_S",
    "ApiError",
    "BearerToken",
    "Caller",
    "Context",
    "Ctx",
    "IdempotencyKey",
    "OrderParam",
    "Page",
    "PageParams",
    "Support",
    "TokenRejected",
    "Window",
    "WindowParams",
    "actor_for_token",
    "authenticate",
    "bearer_token",
    "context",
    "current_actor",
    "idempotent_response",
    "outcome_response",
    "page_response",
    "paged",
    "problem_response",
    "problems",
    "refusal_error",
    "refuse_nul",
    "require_role",
    "run_idempotent",
    "run_reserved",
    "token_hash",
]
