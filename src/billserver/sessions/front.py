"""The update routes in front of the application: no routing, no dependency resolution.

``POST /v1/sessions/{session_id}/updates`` is the call every running session makes
every few seconds, and ``POST /v1/sessions/updates`` its batched form. FastAPI
resolves a route's dependencies (the NUL and id-length checks, the bearer scheme) and
matches the path against every router on every call, which costs more than the
update itself; :class:`UpdateRoutes` answers a well-formed call itself through the
very functions the routes call (:mod:`.submit`), so the answers are byte for byte
the routes' own. :class:`UpdateFront`, the application ``serve`` runs, puts it before
FastAPI's stack, inside the server's own layers (metrics, request log, body limits,
failure answers): FastAPI's error, telemetry and body-limit layers cost a tenth of
an update on every call.

Anything unusual (a query string, no bearer token, a body that is not JSON or does
not validate, an id the routes' checks refuse) is passed on untouched, body included,
to the application, whose routes answer it with their usual problem documents.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billclient.protocol import SessionUpdate

from ..web import ApiError, problem_response
from ..web.layers import Layer, marked, wrap
from ..web.limits import MAX_PATH_ID
from .group_commit import GroupCommitter
from .policy import SessionPolicy
from .reports import Report
from .router import router
from .submit import check_reports, count_accepted, submit_report, submit_reports

__all__ = ["UpdateRoutes"]

_PREFIX = "/v1/sessions/"
_SUFFIX = "/updates"
_BATCH_PATH = "/v1/sessions/updates"
_SINGLE_ROUTE = "/v1/sessions/{session_id}/updates"


class UpdateFront:
    """The ASGI application ``serve`` runs: update calls go to :class:`UpdateRoutes`
    inside the server's own ``layers`` (:mod:`billserver.web.layers`), before FastAPI's
    stack (its error, telemetry and body-limit layers, then routing) is entered at
    all; everything else, and any update call :class:`UpdateRoutes` passes on, goes to
    ``app`` (whose layers then apply only the failure answers again: see
    :mod:`billserver.web.layers`)."""

    def __init__(
        self,
        app: Starlette,
        *,
        committer: GroupCommitter,
        policy: SessionPolicy,
        layers: Sequence[Layer],
    ) -> None:
        self.app = app
        routes = UpdateRoutes(marked(app), committer=committer, policy=policy)
        self.updates = wrap(routes, layers)

    @property
    def state(self) -> State:
        """The application's state (what ``serve`` reaches through the app it runs)."""
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            if path.startswith(_PREFIX) and path.endswith(_SUFFIX):
                scope["app"] = self.app  # as Starlette sets it (the routes read its state)
                await self.updates(scope, receive, send)
                return
        await self.app(scope, receive, send)


class UpdateRoutes:
    """ASGI middleware serving the update routes (see the module)."""

    def __init__(self, app: ASGIApp, *, committer: GroupCommitter, policy: SessionPolicy) -> None:
        self.app = app
        self.committer = committer
        self.policy = policy
        self._routes: dict[str, BaseRoute] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == _BATCH_PATH:
            session_id = None
        elif path.startswith(_PREFIX) and path.endswith(_SUFFIX):
            session_id = path[len(_PREFIX) : -len(_SUFFIX)]
            if not 0 < len(session_id) <= MAX_PATH_ID or "/" in session_id or "\x00" in session_id:
                await self.app(scope, receive, send)
                return
        else:
            await self.app(scope, receive, send)
            return
        token = _bearer_and_json(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        if body is None:  # the client went away, or the body limits answered already
            return
        if session_id is None:
            answer = await self._batch(scope, token, body)
        else:
            report = _report(body)
            if report is None:  # the route explains what is wrong with it
                await self.app(scope, _replay(body, receive), send)
                return
            answer = await self._single(token, session_id, report)
        self._name_route(scope, _BATCH_PATH if session_id is None else _SINGLE_ROUTE)
        await answer(scope, receive, send)

    async def _single(self, token: str, session_id: str, report: Report) -> Response:
        try:
            answer = await submit_report(self.committer, self.policy, token, session_id, report)
        except ApiError as refusal:
            return _problem(refusal)
        return Response(orjson.dumps(answer), media_type="application/json")

    async def _batch(self, scope: Scope, token: str, body: bytes) -> Response:
        try:
            reports = check_reports(body)
            results = await submit_reports(self.committer, self.policy, token, reports)
        except ApiError as refusal:
            return _problem(refusal)
        count_accepted(scope["app"].state, results)
        return Response(orjson.dumps({"results": results}), media_type="application/json")

    def _name_route(self, scope: Scope, template: str) -> None:
        """Give the scope the route the application would have matched (metrics and logs
        label requests by route template)."""
        if not self._routes:
            self._routes = {getattr(route, "path", ""): route for route in router.routes}
        route = self._routes.get(template)
        if route is not None:
            scope["route"] = route


def _problem(refusal: ApiError) -> Response:
    return problem_response(refusal.code, refusal.detail, refusal.headers, **refusal.extra)


def _bearer_and_json(scope: Scope) -> str | None:
    """The bearer token of a request whose body is declared JSON; None otherwise."""
    token, authorization = None, False
    json_body = False
    for name, value in scope["headers"]:
        if name == b"authorization" and not authorization:  # the first one, as the routes
            authorization = True
            scheme, _, rest = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and rest.strip():
                token = rest.strip()
        elif name == b"content-type":
            json_body = value.split(b";", 1)[0].strip().lower() == b"application/json"
    return token if json_body else None


async def _body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _report(body: bytes) -> Report | None:
    """The update a well-formed body reports; None for anything the route must judge."""
    try:
        fields = orjson.loads(body)
        update = SessionUpdate.model_validate(fields)
    except (orjson.JSONDecodeError, ValidationError):
        return None
    return Report(update.seq, update.used_units, None, update.measured_at)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that delivers ``body`` (already read) first."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
