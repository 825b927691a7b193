"""Prometheus metrics: ``GET /metrics`` in the text exposition format (version 0.0.4).

Served only when the operator enables it (``billserver serve --metrics-port P``),
by a separate small ASGI app on its own listener, never on the API's port.

Per process (counted by :class:`MetricsMiddleware` on the API app):

- ``billserver_http_requests_total{method, route, status}``: answered requests,
  by route template (``/v1/sessions/{session_id}/updates``, ``unmatched`` for
  no route), never the raw path;
- ``billserver_http_request_duration_seconds{method, route}``: a histogram of the
  time to the response's first byte (an event stream counts until it opens);
- ``billserver_updates_accepted_total``: utilization updates answered 200, each
  accepted report of a batched call too (an exact replay of an accepted update
  counts again);
- ``billserver_writer_transactions_total`` and ``billserver_writer_operations_total``:
  the group commit's committed write transactions and the operations (usage updates,
  batched calls and end calls) they ran; a request refused before the writer (a bad
  token) counts in neither.

Deployment-wide, read from the database at scrape time:

- ``billserver_live_sessions``: active sessions;
- ``billserver_ledger_transfers_total{kind}`` and
  ``billserver_ledger_amount_total{kind}``: ledger transfers by kind (charges,
  top-ups, adjustments, ...), the amount in currency units as an exact decimal.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from sqlalchemy import Engine, func, select
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billclient.protocol import ErrorCode, format_money

from .. import db
from ..db.storage import log_failure
from ..tables import ledger_transfers, sessions
from ..web.problems import problem_response

__all__ = ["CONTENT_TYPE", "MetricsMiddleware", "Registry", "metrics_app"]

log = logging.getLogger("billserver.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UPDATES_ROUTE = "/v1/sessions/{session_id}/updates"
_UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
        self.total += seconds
        self.count += 1


class WriterFigures(Protocol):
    """What the metrics read of the process's group commit."""

    @property
    def batches(self) -> int: ...
    @property
    def operations(self) -> int: ...


@dataclass
class Registry:
    """This process's request counters (touched only from the event loop thread), and
    the group commit's counters (``writer``) when it is given."""

    requests: defaultdict[tuple[str, str, int], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    latency: defaultdict[tuple[str, str], _Histogram] = field(
        default_factory=lambda: defaultdict(_Histogram)
    )
    updates_accepted: int = 0
    writer: WriterFigures | None = None

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests[(method, route, status)] += 1
        self.latency[(method, route)].observe(seconds)
        if route == UPDATES_ROUTE and method == "POST" and status == 200:
            self.updates_accepted += 1

    def render(self, figures: DatabaseFigures) -> str:
        """The exposition text of this registry and the database's figures."""
        out: list[str] = []
        _header(out, "billserver_http_requests_total", "counter", "HTTP requests answered")
        for (method, route, status), n in sorted(self.requests.items()):
            labels = _labels(method=method, route=route, status=str(status))
            out.append(f"billserver_http_requests_total{labels} {n}")
        name = "billserver_http_request_duration_seconds"
        _header(out, name, "histogram", "Time to the first byte of the answer")
        for (method, route), hist in sorted(self.latency.items()):
            for bound, n in zip(BUCKETS, hist.counts, strict=True):
                labels = _labels(method=method, route=route, le=repr(bound))
                out.append(f"{name}_bucket{labels} {n}")
            labels = _labels(method=method, route=route, le="+Inf")
            out.append(f"{name}_bucket{labels} {hist.count}")
            labels = _labels(method=method, route=route)
            out.append(f"{name}_sum{labels} {hist.total!r}")
            out.append(f"{name}_count{labels} {hist.count}")
        _header(
            out,
            "billserver_updates_accepted_total",
            "counter",
            "Utilization updates answered 200 by this process",
        )
        out.append(f"billserver_updates_accepted_total {self.updates_accepted}")
        if self.writer is not None:
            _header(
                out,
                "billserver_writer_transactions_total",
                "counter",
                "Write transactions committed by this process's group commit",
            )
            out.append(f"billserver_writer_transactions_total {self.writer.batches}")
            _header(
                out,
                "billserver_writer_operations_total",
                "counter",
                "Usage updates and end calls run by this process's group commit",
            )
            out.append(f"billserver_writer_operations_total {self.writer.operations}")
        _header(out, "billserver_live_sessions", "gauge", "Active sessions in the deployment")
        out.append(f"billserver_live_sessions {figures.live_sessions}")
        _header(out, "billserver_ledger_transfers_total", "counter", "Ledger transfers by kind")
        for kind, (n, _amount) in sorted(figures.ledger.items()):
            out.append(f"billserver_ledger_transfers_total{_labels(kind=kind)} {n}")
        _header(
            out,
            "billserver_ledger_amount_total",
            "counter",
            "Money moved by ledger transfers of each kind, in currency units",
        )
        for kind, (_n, amount) in sorted(figures.ledger.items()):
            out.append(f"billserver_ledger_amount_total{_labels(kind=kind)} {format_money(amount)}")
        return "\n".join(out) + "\n"


@dataclass(frozen=True, slots=True)
class DatabaseFigures:
    """What a scrape reads from the database."""

    live_sessions: int
    ledger: dict[str, tuple[int, int]]  # kind -> (transfers, micro-units)


def read_figures(engine: Engine) -> DatabaseFigures:
    """Count active sessions and sum the ledger's transfers by kind."""
    with db.read(engine) as conn:
        live = conn.execute(
            select(func.count()).select_from(sessions).where(sessions.c.state == "active")
        ).scalar_one()
        rows = conn.execute(
            select(
                ledger_transfers.c.kind,
                func.count(),
                func.coalesce(func.sum(ledger_transfers.c.amount), 0),
            ).group_by(ledger_transfers.c.kind)
        ).all()
    return DatabaseFigures(int(live), {str(k): (int(n), int(total)) for k, n, total in rows})


def _header(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """ASGI middleware counting every HTTP request of the API app into a registry."""

    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observed = False

        def observe(status: int) -> None:
            nonlocal observed
            if not observed:
                observed = True
                self.registry.observe(
                    _method(scope), _route(scope), status, time.perf_counter() - started
                )

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                observe(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            observe(500)  # no answer started: the server error handler answers 500


def _method(scope: Scope) -> str:
    method = str(scope["method"])
    return method if method in _METHODS else "other"  # labels stay a small, fixed set


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else _UNMATCHED


def metrics_app(registry: Registry, engine: Engine) -> ASGIApp:
    """The ASGI app of the metrics listener: ``GET /metrics`` and nothing else."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan and websockets: nothing to set up, nothing to accept
        response: Response
        if scope["path"] != "/metrics":
            response = problem_response(ErrorCode.NOT_FOUND, "only /metrics is served here")
        elif scope["method"] != "GET":
            response = problem_response(
                ErrorCode.METHOD_NOT_ALLOWED, "use GET /metrics", {"Allow": "GET"}
            )
        else:
            response = await _scrape(registry, engine)
        await response(scope, receive, send)

    return app


async def _scrape(registry: Registry, engine: Engine) -> Response:
    try:
        figures = await anyio.to_thread.run_sync(read_figures, engine)
    except Exception as error:  # a passing database error must not take the listener down
        log_failure(log, "metrics scrape could not read the database", error)
        return problem_response(
            ErrorCode.UNAVAILABLE,
            "the database did not answer; scrape again later",
            {"Retry-After": "5"},
        )
    return Response(registry.render(figures), media_type=CONTENT_TYPE)
