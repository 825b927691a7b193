"""A small synchronous protocol client for tests (httpx), signed in as one login."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from .catalogs import PASSWORD

__all__ = ["Api", "adjust", "problem"]


class Api:
    """Calls against one server URL (changeable) with one login's tokens."""

    def __init__(self, url: str, login: str | None = None, password: str = PASSWORD) -> None:
        self.url = url
        self.http = httpx.Client(timeout=30)
        self.access: str | None = None
        self.refresh: str | None = None
        self.registration: dict[str, Any] = {}
        if login is not None:
            self.sign_in(login, password)

    def sign_in(self, login: str, password: str = PASSWORD) -> dict[str, Any]:
        """Register a device; keeps its tokens."""
        answer = self.request(
            "POST",
            "/v1/devices",
            json={
                "login": login,
                "password": password,
                "device_name": "test",
                "platform": "pytest",
            },
            auth=False,
        )
        assert answer.status_code == 201, answer.text
        self.registration = answer.json()
        self.access = self.registration["access_token"]
        self.refresh = self.registration["refresh_token"]
        return self.registration

    def request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth and self.access:
            headers.setdefault("Authorization", f"Bearer {self.access}")
        return self.http.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def account(self) -> dict[str, Any]:
        answer = self.get("/v1/account")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def open(self, service_id: str, key: str | None = None) -> httpx.Response:
        """POST /v1/sessions with a fresh (or given) Idempotency-Key."""
        return self.post(
            "/v1/sessions",
            {"service_id": service_id},
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
        )

    def update(self, session_id: str, seq: int, used: int) -> httpx.Response:
        return self.post(
            f"/v1/sessions/{session_id}/updates",
            {"seq": seq, "used_units": used, "measured_at": datetime.now(UTC).isoformat()},
        )

    def end(self, session_id: str, seq: int, used: int, cause: str = "user") -> httpx.Response:
        return self.post(
            f"/v1/sessions/{session_id}/end", {"seq": seq, "used_units": used, "cause": cause}
        )

    def close(self) -> None:
        self.http.close()


def adjust(url: str, account_id: str, amount: str) -> None:
    """A support adjustment of ``amount`` (a decimal string) to ``account_id``'s balance,
    as the login ``support``, under a fresh idempotency key."""
    support = Api(url, "support")
    try:
        answer = support.post(
            f"/v1/admin/accounts/{account_id}/adjustments",
            {"amount": amount, "reason": "test"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert answer.status_code == 201, answer.text
    finally:
        support.close()


def problem(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a problem+json answer with ``status`` and ``code``, and no stack trace."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in answer.text
    assert 'File "' not in answer.text
    return dict(body)
