"""Request limits against a real server: huge bodies, slow and half-open clients.

The attacks are real: a 200 MB body sent to ``POST /v1/devices`` without credentials,
hundreds of sockets that send half a request and stop (slowloris), a body shorter
than its ``Content-Length``, headers dripped a byte at a time. The server runs with
small limits (``--max-body-bytes``, ``--header-timeout``, ``--body-timeout``,
``--keep-alive-timeout``); every wait is derived from them, with a generous upper
bound for a busy machine and a lower bound that shows the deadline, not chance,
closed the connection. The database engine does not matter here, so the module runs
on SQLite only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from billserver.web.guarded_http import MAX_HEADER_BYTES
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

MAX_BODY = 64 * 1024
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
KEEP_ALIVE = 1
SLACK = 20.0  # seconds a busy machine may add to any deadline before the test fails
SOCKETS = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    factory = ServerFactory(tmp_path_factory.mktemp("limits"))
    try:
        factory.import_catalog([account("limited", "5")])
        yield factory.start(
            "limits",
            "--max-body-bytes", str(MAX_BODY),
            "--max-batch-body-bytes", str(4 * MAX_BODY),
            "--header-timeout", str(HEADER_TIMEOUT),
            "--body-timeout", str(BODY_TIMEOUT),
            "--keep-alive-timeout", str(KEEP_ALIVE),
        )  # fmt: skip
    finally:
        factory.close()


def _connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=BODY_TIMEOUT + SLACK)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], dict[str, object]]:
    """Read one whole response (status, headers, JSON body) until the server closes."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_a_huge_body_is_refused_without_being_read(server: ServerProcess) -> None:
    assert server.proc is not None
    before = _rss_kib(server.proc.pid)
    with _connect(server) as sock:  # 200 MB announced, no credentials
        sock.sendall(
            b"POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n" + b"{" * 1024
        )
        status, headers, body = _answer(sock)
    assert status == 413
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["connection"] == "close"
    assert body["code"] == "content_too_large"
    assert str(MAX_BODY) in str(body["detail"])

    with _connect(server) as sock:  # no length announced: chunked, 50 MB if let through
        sock.sendall(
            b"POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"a" * 1024 * 1024)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(50):
                sock.sendall(chunk)
        status, _headers, body = _answer(sock)
    assert status == 413
    assert body["code"] == "content_too_large"
    assert _rss_kib(server.proc.pid) - before < 32 * 1024  # never near 50 MB more


def test_the_batch_route_takes_a_larger_body(server: ServerProcess) -> None:
    events = json.dumps({"events": [{"event_id": "x" * 100}] * (2 * MAX_BODY // 100)})
    assert MAX_BODY < len(events) < 4 * MAX_BODY
    batch = httpx.post(server.url + "/v1/integration/events", content=events, timeout=30)
    assert batch.status_code == 401  # read in full, refused for its missing token
    other = httpx.post(server.url + "/v1/devices", content=events, timeout=30)
    assert other.status_code == 413


def test_half_sent_requests_are_closed_at_the_header_deadline(server: ServerProcess) -> None:
    sockets = []
    opened = time.monotonic()
    try:
        for number in range(SOCKETS):
            sock = _connect(server)
            sockets.append(sock)
            if number % 2:
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")  # headers never end
            else:
                sock.sendall(b"GET /v1/hea")  # the request line never ends
        healthy = httpx.get(server.url + "/v1/health", timeout=SLACK)  # others still served
        assert healthy.status_code == 200
        for sock in sockets:
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1024) == b""  # closed without an answer
        took = time.monotonic() - opened
    finally:
        for sock in sockets:
            sock.close()
    assert HEADER_TIMEOUT * 0.9 <= took <= HEADER_TIMEOUT + SLACK


def test_dripped_headers_get_no_extension(server: ServerProcess) -> None:
    request = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100
    with _connect(server) as sock:
        started = time.monotonic()
        closed_after = None
        for byte in request:  # a byte every quarter of the header timeout
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            time.sleep(HEADER_TIMEOUT / 4)
        if closed_after is None:
            with contextlib.suppress(ConnectionResetError):
                sock.recv(1024)
            closed_after = time.monotonic() - started
    assert HEADER_TIMEOUT * 0.9 <= closed_after <= HEADER_TIMEOUT + SLACK
    assert closed_after < len(request) * HEADER_TIMEOUT / 4  # not after the whole drip


def test_oversized_headers_are_refused_400(server: ServerProcess) -> None:
    """httptools sets no header size limit of its own: the guarded protocol caps them."""
    for head in (
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * MAX_HEADER_BYTES,
        b"GET /v1/health?" + b"q" * MAX_HEADER_BYTES + b" HTTP/1.1\r\nHost: x",
    ):
        with _connect(server) as sock:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(head + b"\r\n\r\n")
            data = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    data += chunk
        assert data.startswith(b"HTTP/1.1 400"), data[:100]
    within = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 8000 + b"\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(within)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_a_body_shorter_than_its_length_is_answered_408(server: ServerProcess) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /v1/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"login": '
        )
        status, headers, body = _answer(sock)
        took = time.monotonic() - started
    assert status == 408
    assert body["code"] == "request_timeout"
    assert headers["connection"] == "close"
    assert BODY_TIMEOUT * 0.9 <= took <= BODY_TIMEOUT + SLACK


def test_an_unread_body_dripped_slowly_is_cut_off_too(server: ServerProcess) -> None:
    with _connect(server) as sock:  # GET /v1/health never reads the body it announces
        started = time.monotonic()
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        closed_after = None
        for _ in range(1000):  # each byte stops uvicorn's keep-alive timer
            time.sleep(KEEP_ALIVE / 3)
            try:
                sock.sendall(b"x")
                if sock.recv(1, socket.MSG_DONTWAIT) == b"":
                    closed_after = time.monotonic() - started
                    break
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None
    assert BODY_TIMEOUT <= closed_after <= BODY_TIMEOUT + 1 + SLACK


def test_an_idle_keep_alive_connection_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
        took = time.monotonic() - started
    assert data.startswith(b"HTTP/1.1 200")
    assert KEEP_ALIVE * 0.9 <= took <= KEEP_ALIVE + SLACK
