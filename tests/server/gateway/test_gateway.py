"""The metering gateway against real billing servers: admission, cut-offs, counts.

One database, two billing servers (primary, secondary) handing out the gateway and
one real gateway process failing over across them, per module (per engine). The
failover test kills the primary, so it comes last.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import account, user
from tests.support.fixtures import ServerFactory
from tests.support.gateways import GATEWAY_SECRET, GatewayProcess, gateway_flags
from tests.support.servers import free_port

from .helpers import BPS, CATALOG, Downloader, kept_alive, wait_for

FILE_SIZE = 300_000
BIG_SIZE = 1_048_576 + 123
BIG = random.Random(6).randbytes(BIG_SIZE)


@pytest.fixture(scope="module")
def site(module_servers: ServerFactory) -> Iterator[dict[str, Any]]:
    """Billing server with a gateway URL, the gateway, a download directory."""
    files = module_servers.directory / "files"
    files.mkdir()
    (files / "big.bin").write_bytes(BIG)
    (files / "movie.bin").write_bytes(
        bytes(range(256)) * (FILE_SIZE // 256) + b"x" * (FILE_SIZE % 256)
    )
    module_servers.import_catalog(
        [account(a, "10") for a in ("rich", "cheat", "fan")] + [account("poor", "0.03")],
        base=CATALOG,
        users=[user("rich2", "rich")],
    )
    port = free_port()
    flags = gateway_flags(f"http://127.0.0.1:{port}")
    primary = module_servers.start("primary", *flags)
    secondary = module_servers.start("secondary", *flags)
    gateway = GatewayProcess(
        [primary.url, secondary.url],
        log_dir=module_servers.directory,
        files=files,
        port=port,
        # a loaded server may take more than the default second to answer; a killed one
        # is refused at once, so failover is as quick as with the default
        extra=["--request-timeout", "10"],
    ).start()
    try:
        yield {
            "billing": primary.url,
            "primary": primary,
            "secondary": secondary,
            "gateway": gateway,
            "files": files,
        }
    finally:
        assert gateway.stop() == 0, gateway.log()[-2000:]


def _open(api: Api, service: str) -> dict[str, Any]:
    answer = api.open(service)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _stream(session: dict[str, Any], **kwargs: Any) -> Any:
    token = session["gateway"]["token"]
    return httpx.stream(
        "GET",
        session["gateway"]["url"] + "/v1/stream",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


def test_bad_or_expired_token_is_refused(site: dict[str, Any]) -> None:
    api = Api(site["billing"], "rich")
    gateway = site["gateway"].url
    web = _open(api, "web")
    assert web["gateway"] is None  # not a gateway-served service
    session = _open(api, "tv")
    assert session["gateway"]["url"] == gateway
    token = session["gateway"]["token"]
    stream = gateway + "/v1/stream"

    with kept_alive(api, session) as kept:  # active however slowly this runs
        problem(httpx.get(stream, timeout=5), 401, "unauthorized")
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        other = token.replace(session["session_id"], web["session_id"])
        for bad in (forged, "bcg_nonsense", other):
            answer = httpx.get(stream, headers={"Authorization": f"Bearer {bad}"}, timeout=5)
            problem(answer, 401, "unauthorized")
        # a token of another kind of service: the download route refuses a stream session
        problem(
            httpx.get(f"{gateway}/v1/files/movie.bin?token={token}", timeout=5), 403, "forbidden"
        )
        # the billing server's gateway routes refuse anyone without the gateway secret
        for secret in (None, "wrong-secret-0123456789", api.access):
            headers = {"Authorization": f"Bearer {secret}"} if secret else {}
            answer = httpx.post(
                site["billing"] + "/v1/gateway/admissions",
                json={"token": token},
                headers=headers,
                timeout=5,
            )
            problem(answer, 401, "unauthorized")
        admitted = httpx.post(
            site["billing"] + "/v1/gateway/admissions",
            json={"token": token},
            headers={"Authorization": f"Bearer {GATEWAY_SECRET}"},
            timeout=5,
        )
        assert admitted.status_code == 200, admitted.text
        assert admitted.json()["kind"] == "stream" and admitted.json()["bitrate"] == BPS * 8

        # a replayed POST /v1/sessions hands out the same token; the stored answer has none
        key = "replay-key"
        first, again = api.open("tv", key), api.open("tv", key)
        assert first.json()["gateway"] == again.json()["gateway"] is not None

    assert api.end(session["session_id"], kept.next_seq, 0).status_code == 200
    expired = httpx.get(stream, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    problem(expired, 409, "session_ended")
    api.close()


def test_ended_session_is_cut_off_within_one_second(site: dict[str, Any]) -> None:
    api, support = Api(site["billing"], "rich"), Api(site["billing"], "support")
    session = _open(api, "tv")
    received = 0
    with _stream(session) as answer:
        assert answer.status_code == 200
        chunks = answer.iter_bytes()
        received += len(next(chunks))
        ended = support.post(
            f"/v1/admin/sessions/{session['session_id']}/end", {"reason": "test cut-off"}
        )
        assert ended.status_code == 200, ended.text
        cut_at = time.monotonic()
        for chunk in chunks:
            received += len(chunk)
        assert time.monotonic() - cut_at < 1.0
    assert received < 2 * BPS  # within the first grant of 2 s
    api.close()
    support.close()


def test_prepaid_running_out_is_cut_off_at_the_final_grant(site: dict[str, Any]) -> None:
    api = Api(site["billing"], "poor")  # 0.03: three seconds of tv
    session = _open(api, "tv")
    sid, seq, reported, received = session["session_id"], 0, 0, 0
    final_at: float | None = None
    last_byte_at = time.monotonic()
    with _stream(session) as answer:
        assert answer.status_code == 200
        for chunk in answer.iter_bytes():
            received += len(chunk)
            last_byte_at = time.monotonic()
            seconds = received // BPS
            if seconds > reported:
                seq, reported = seq + 1, seconds
                update = api.update(sid, seq, seconds)
                assert update.status_code == 200, update.text
                if update.json()["final"] and final_at is None:
                    final_at = time.monotonic()
        eof_at = time.monotonic()
    assert final_at is not None
    granted = update.json()["granted_units"]
    assert granted == 3
    assert received == granted * BPS  # not one byte past the final grant
    assert eof_at - last_byte_at < 1.0  # cut off at once when the grant is used up
    assert update.json()["action"] == "terminate"
    assert api.end(sid, seq + 1, reported, "credit_exhausted").status_code == 200
    assert api.account()["available"] == "0"
    api.close()


def test_stream_pauses_at_the_grant_until_the_next_update(site: dict[str, Any]) -> None:
    api = Api(site["billing"], "rich")
    session = _open(api, "radio")  # grant: 2 s, not final; updates every 3 s
    arrived: list[int] = []

    def read() -> None:
        with _stream(session) as answer:
            for chunk in answer.iter_bytes():
                arrived.append(len(chunk))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_for(lambda: sum(arrived) == 2 * BPS, timeout=10)
    time.sleep(0.5)  # the stream's pace would have sent 5000 more bytes by now
    assert sum(arrived) == 2 * BPS  # paused at the grant: no update brought a new one
    assert api.update(session["session_id"], 1, 2).json()["granted_units"] == 4
    wait_for(lambda: sum(arrived) > 2 * BPS, timeout=3)  # resumed by the new grant
    assert api.end(session["session_id"], 2, 2).status_code == 200
    reader.join(timeout=2)
    assert not reader.is_alive()  # cut off when the session ended
    api.close()


def test_under_reporting_client_is_flagged(site: dict[str, Any]) -> None:
    cheat, support = Api(site["billing"], "cheat"), Api(site["billing"], "support")
    honest = Downloader(cheat, [site["billing"]], _open(cheat, "gdl"))
    assert honest.fetch("movie.bin") == 200
    honest.end()
    liar = Downloader(cheat, [site["billing"]], _open(cheat, "gdl"), report=lambda n: n // 2)
    assert liar.fetch("movie.bin") == 200
    assert bytes(liar.received) == (site["files"] / "movie.bin").read_bytes()
    liar.end()

    def flagged() -> dict[str, dict[str, Any]] | None:
        detail = support.get("/v1/admin/accounts/cheat").json()
        cdrs = {c["session_id"]: c for c in detail["last_cdrs"]}
        if all(cdrs[d.session_id]["gateway_units"] == FILE_SIZE for d in (honest, liar)):
            return cdrs
        return None

    cdrs = wait_for(flagged)
    assert cdrs[liar.session_id]["used_units"] == FILE_SIZE // 2
    assert cdrs[liar.session_id]["mismatch"] is True
    assert cdrs[honest.session_id]["mismatch"] is False
    rows = support.get("/v1/admin/sessions", params={"state": "ended", "account": "cheat"})
    by_id = {row["session_id"]: row for row in rows.json()}
    assert by_id[liar.session_id]["mismatch"] is True
    assert by_id[liar.session_id]["endpoint"] == site["gateway"].url
    assert by_id[honest.session_id]["gateway_units"] == FILE_SIZE
    # the user's own CDRs carry no support flags
    own = cheat.get(
        "/v1/cdrs", params={"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    )
    assert all(c.get("mismatch") is None for c in own.json())
    cheat.close()
    support.close()


def test_messages_are_one_event_each(site: dict[str, Any]) -> None:
    api = Api(site["billing"], "rich2")
    session = _open(api, "sms")  # grant 1: one message per update
    url = session["gateway"]["url"] + "/v1/messages"
    headers = {"Authorization": f"Bearer {session['gateway']['token']}"}
    first = httpx.post(url, json={"text": "hello"}, headers=headers, timeout=5)
    assert first.status_code == 200, first.text
    assert first.json() == {"session_id": session["session_id"], "event": 1, "text": "hello"}
    problem(httpx.post(url, json={"txt": 1}, headers=headers, timeout=5), 422, "validation_error")
    assert api.update(session["session_id"], 1, 1).json()["granted_units"] == 2
    second = wait_for(lambda: _message(url, headers))
    assert second["event"] == 2
    api.end(session["session_id"], 2, 2)
    api.close()


def _message(url: str, headers: dict[str, str]) -> dict[str, Any] | None:
    answer = httpx.post(url, json={"text": "again"}, headers=headers, timeout=5)
    if answer.status_code == 429:
        return None
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_download_names_ranges_and_head(site: dict[str, Any]) -> None:
    api = Api(site["billing"], "rich")
    session = _open(api, "gdl")
    with kept_alive(api, session):  # neither paused nor ended however slowly this runs
        _names_ranges_and_head(session, site["files"])
    api.close()


def _names_ranges_and_head(session: dict[str, Any], files: Path) -> None:
    base = session["gateway"]["url"] + "/v1/files/"
    token = {"token": session["gateway"]["token"]}
    for name in ("nothing.bin", "../billing.db", "%2e%2e/billing.db"):
        problem(httpx.get(base + name, params=token, timeout=5), 404, "not_found")
    answer = httpx.get(
        base + "movie.bin", params=token, headers={"Range": f"bytes={FILE_SIZE}-"}, timeout=5
    )
    problem(answer, 416, "range_not_satisfiable")
    assert answer.headers["content-range"] == f"bytes */{FILE_SIZE}"
    head = httpx.head(base + "movie.bin", params=token, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(FILE_SIZE)
    assert head.headers["accept-ranges"] == "bytes"
    ranged = httpx.get(base + "movie.bin", params=token, headers={"Range": "bytes=-10"}, timeout=5)
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes {FILE_SIZE - 10}-{FILE_SIZE - 1}/{FILE_SIZE}"
    assert ranged.content == (files / "movie.bin").read_bytes()[-10:]


def test_download_resumes_after_primary_failover_without_double_charge(
    site: dict[str, Any], module_servers: ServerFactory
) -> None:
    """Last: kills the primary. The client abandons its transfer when its billing
    server fails over and resumes it with a Range; the gateway fails over too."""
    primary, secondary = site["primary"], site["secondary"]
    api = Api(primary.url, "fan")
    client = Downloader(api, [primary.url, secondary.url], _open(api, "gdl"))

    status = client.fetch(
        "big.bin", every=131_072, midway=primary.kill, at=BIG_SIZE // 2, drop_on_failover=True
    )
    assert status == 200
    assert client.failovers == 1 and api.url == secondary.url
    assert BIG_SIZE // 2 < len(client.received) < BIG_SIZE  # interrupted mid-transfer

    assert client.fetch("big.bin", every=131_072) == 206  # resumed with a Range
    assert bytes(client.received) == BIG
    ended = client.end()
    assert ended["used_units"] == BIG_SIZE and ended["unbilled_units"] == 0

    quote = api.post("/v1/quotes", {"service_id": "gdl", "units": BIG_SIZE}).json()
    assert ended["charged"] == quote["charge"] == "1.048699"  # every byte charged once
    assert api.account()["balance"] == "8.951301"
    support = Api(secondary.url, "support")

    def cdr() -> dict[str, Any] | None:
        detail = support.get("/v1/admin/accounts/fan").json()
        found = [c for c in detail["last_cdrs"] if c["gateway_units"] == BIG_SIZE]
        return found[0] if found else None

    record = wait_for(cdr)  # the gateway counted every byte once, resent ones included
    assert record["used_units"] == BIG_SIZE and record["mismatch"] is False
    assert "/v1/gateway/admissions" in secondary.log()  # the gateway failed over too
    api.close()
    support.close()
    module_servers.verify()
