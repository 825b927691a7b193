"""Problem answers, the OpenAPI document, services and advice of charge against a real
server process.

Every request that reaches the application and fails answers RFC 9457
``application/problem+json``; ``/openapi.json`` documents every path of the protocol
implemented so far; ``/v1/services`` and ``/v1/quotes`` agree with the catalogue and
the rating rules of CATALOG.md, computed here by hand.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import jsonschema
import pytest

from tests.support.api import Api, problem
from tests.support.catalogs import BASE, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

# BASE plus a free chat service, offered only by the "gratis" plan
CATALOG: dict[str, Any] = copy.deepcopy(BASE)
CATALOG["services"].append({"id": "chat", "name": "Chat", "unit": "event", "media": "im"})
CATALOG["plans"].append(
    {
        "id": "gratis",
        "name": "Free chat",
        "timezone": "UTC",
        "rates": [{"service": "chat", "price": "0"}, {"service": "sms", "price": "0.05"}],
    }
)

ACCOUNTS = [
    account("bodies", "10"),
    account("lister", "10"),
    account("lister-mini", "10", plan="mini"),
    account("quoter", "10"),
    account("one-euro", "1"),
    account("held", "1"),
    account("broke", "0"),
    account("free", "0", plan="gratis"),
    account("mini", "10", plan="mini"),
    account("not-utf8", "10"),
    account("conflicts", "10"),
]

PROTOCOL_PATHS = {
    "/v1/health",
    "/v1/devices",
    "/v1/devices/{device_id}",
    "/v1/token",
    "/v1/account",
    "/v1/services",
    "/v1/quotes",
    "/v1/sessions",
    "/v1/sessions/{session_id}",
    "/v1/sessions/{session_id}/updates",
    "/v1/sessions/{session_id}/end",
    "/v1/cdrs",
}

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Iterator[ServerProcess]:
    module_servers.import_catalog(ACCOUNTS, base=CATALOG)
    yield module_servers.start("errors-primary")
    module_servers.verify()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def quote(api: Api, service_id: str, units: Any) -> httpx.Response:
    return api.post("/v1/quotes", {"service_id": service_id, "units": units})


def quoted(api: Api, service_id: str, units: int) -> dict[str, Any]:
    answer = quote(api, service_id, units)
    assert answer.status_code == 200, answer.text
    body = dict(answer.json())
    assert (body["service_id"], body["units"]) == (service_id, units)
    return body


# -- problem answers ---------------------------------------------------------------------


def test_malformed_json_is_a_validation_problem(server: ServerProcess, http: httpx.Client) -> None:
    answer = http.post(server.url + "/v1/devices", content=b"{bad", headers=JSON)
    body = problem(answer, 422, "validation_error")
    assert "JSON" in body["detail"]
    api = Api(server.url, "bodies")
    for path in ("/v1/quotes", "/v1/token"):
        problem(api.post(path, content=b"{bad", headers=JSON), 422, "validation_error")
    opened = api.post(
        "/v1/sessions", content=b'{"service_id": ', headers={**JSON, "Idempotency-Key": "k1"}
    )
    problem(opened, 422, "validation_error")
    problem(api.post("/v1/quotes", content=b"", headers=JSON), 422, "validation_error")
    problem(api.post("/v1/quotes", content=b"[1, 2]", headers=JSON), 422, "validation_error")


def test_a_body_that_is_not_utf8_is_a_validation_problem(
    server: ServerProcess, http: httpx.Client
) -> None:
    # found by schemathesis: Starlette's 400 "error parsing the body" answered 500
    garbage = b"o8!k\xff\xfe\x80{"
    problem(
        http.post(server.url + "/v1/devices", content=garbage, headers=JSON),
        422,
        "validation_error",
    )
    api = Api(server.url, "not-utf8")
    problem(api.post("/v1/quotes", content=garbage, headers=JSON), 422, "validation_error")
    opened = api.post("/v1/sessions", content=garbage, headers={**JSON, "Idempotency-Key": "k9"})
    problem(opened, 422, "validation_error")
    assert api.open("sms", key="k9").status_code == 201  # the key was not used up


@pytest.mark.parametrize(
    "body",
    [
        {"login": 5, "password": "x", "device_name": "d", "platform": "p"},  # number for string
        {"login": "bodies", "password": "x", "device_name": "d"},  # a member missing
        {"login": "", "password": "x", "device_name": "d", "platform": "p"},  # too short
        {"login": "bodies", "password": "x", "device_name": "d", "platform": "p", "admin": True},
    ],
    ids=["number-for-string", "missing-member", "empty-login", "unknown-member"],
)
def test_invalid_registration_bodies(
    server: ServerProcess, http: httpx.Client, body: dict[str, Any]
) -> None:
    problem(http.post(server.url + "/v1/devices", json=body), 422, "validation_error")


def test_unknown_members_are_refused_everywhere(server: ServerProcess) -> None:
    api = Api(server.url, "bodies")
    problem(
        api.post("/v1/quotes", {"service_id": "sms", "units": 1, "discount": "1"}),
        422,
        "validation_error",
    )
    problem(
        api.post("/v1/token", {"refresh_token": api.refresh, "scope": "all"}),
        422,
        "validation_error",
    )
    problem(
        api.post(
            "/v1/sessions",
            {"service_id": "sms", "extra": 1},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ),
        422,
        "validation_error",
    )
    problem(api.post("/v1/quotes", {"service_id": 7, "units": 1}), 422, "validation_error")
    assert api.get("/v1/sessions").json() == []  # nothing was opened


@pytest.mark.parametrize("units", [-1, 1.5, 1.0, "5", True, None, 2**62 + 1])
def test_quote_units_must_be_a_non_negative_integer(server: ServerProcess, units: Any) -> None:
    api = Api(server.url, "bodies")
    body = problem(quote(api, "sms", units), 422, "validation_error")
    assert "units" in body["detail"]


def test_the_largest_unit_count_is_priced_exactly(server: ServerProcess) -> None:
    api = Api(server.url, "bodies")
    answer = quoted(api, "voice", 9 * 10**15)
    # 0.01 setup + 9,000,000,000,000,000 s at 0.001 per s: 9.00000000000001e18 micro-units
    assert answer["charge"] == "9000000000000.01"
    # the largest count the schema allows would cost 4,611,686,018,427,387.914: more
    # micro-units than a 64-bit integer holds, so the quote is refused
    body = problem(
        api.post("/v1/quotes", {"service_id": "voice", "units": 2**62}), 422, "validation_error"
    )
    assert "largest amount" in body["detail"]


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v1/devices/x/y", "/v2/health", "/"])
def test_unknown_paths_are_not_found(server: ServerProcess, http: httpx.Client, path: str) -> None:
    problem(http.get(server.url + path), 404, "not_found")
    problem(http.post(server.url + path, json={}), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/health"),
        ("POST", "/v1/health"),
        ("PUT", "/v1/account"),
        ("GET", "/v1/token"),
        ("GET", "/v1/quotes"),
        ("PATCH", "/v1/sessions"),
        ("GET", "/v1/sessions/abc/end"),
    ],
)
def test_wrong_methods_are_not_allowed(
    server: ServerProcess, http: httpx.Client, method: str, path: str
) -> None:
    answer = http.request(method, server.url + path)
    problem(answer, 405, "method_not_allowed")
    assert method not in answer.headers.get("allow", "").split(", ")


def test_query_validation_is_a_problem_too(server: ServerProcess) -> None:
    api = Api(server.url, "bodies")
    problem(api.get("/v1/sessions", params={"state": "sleeping"}), 422, "validation_error")
    problem(api.get("/v1/cdrs", params={"limit": "many"}), 422, "validation_error")
    problem(api.get("/v1/cdrs", params={"limit": 1001}), 422, "validation_error")


# -- OpenAPI -----------------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/components/"), ref
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_openapi_documents_the_protocol(server: ServerProcess, http: httpx.Client) -> None:
    answer = http.get(server.url + "/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert not PROTOCOL_PATHS - set(document["paths"]), "paths missing"
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) >= {"type", "title", "status", "detail", "code"}
    opening = document["paths"]["/v1/sessions"]["post"]["responses"]
    for status in ("402", "403", "409"):
        content = opening[status]["content"]["application/problem+json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Problem"}
    refs = set(_refs(document))
    assert "#/components/schemas/Problem" in refs
    for ref in sorted(refs):
        _resolve(document, ref)
    # every documented client error is a problem document
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    content = response.get("content", {})
                    assert list(content) == ["application/problem+json"], (method, path, status)


def test_openapi_documents_auth_conflicts_throttling_links_and_events(
    server: ServerProcess, http: httpx.Client
) -> None:
    document = http.get(server.url + "/openapi.json").json()
    paths = document["paths"]
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    gateway = document["components"]["securitySchemes"]["GatewaySecret"]
    assert (gateway["type"], gateway["scheme"]) == ("http", "bearer")
    public = {("/v1/health", "get"), ("/v1/devices", "post"), ("/v1/token", "post")}
    for path, operations in paths.items():
        for method, operation in operations.items():
            # the metering gateway's routes take the deployment's gateway secret
            name = "GatewaySecret" if path.startswith("/v1/gateway/") else "HTTPBearer"
            secured = operation.get("security") == [{name: []}]
            assert secured == ((path, method) not in public), (method, path)
            if secured:
                assert {"401", "422"} <= set(operation["responses"]), (method, path)
    session_problem = {"$ref": "#/components/schemas/SessionProblem"}
    for path in ("/v1/sessions/{session_id}/updates", "/v1/sessions/{session_id}/end"):
        conflict = paths[path]["post"]["responses"]["409"]["content"]
        assert conflict["application/problem+json"]["schema"] == session_problem
    admin_end = paths["/v1/admin/sessions/{session_id}/end"]["post"]["responses"]["409"]
    assert admin_end["content"]["application/problem+json"]["schema"] == session_problem
    for path, method, status in (
        ("/v1/devices", "post", "429"),
        ("/v1/password", "post", "429"),
        ("/v1/password", "post", "503"),
    ):
        assert "Retry-After" in paths[path][method]["responses"][status]["headers"]
    for path in (
        "/v1/sessions",
        "/v1/cdrs",
        "/v1/account/statement",
        "/v1/admin/accounts",
        "/v1/admin/sessions",
        "/v1/admin/audit",
    ):
        assert "Link" in paths[path]["get"]["responses"]["200"]["headers"], path
    stream = paths["/v1/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    payloads = {
        one["properties"]["event"]["const"]: one["properties"]["data"]["contentSchema"]["$ref"]
        for one in stream["schema"]["oneOf"]
    }
    assert payloads == {
        kind: f"#/components/schemas/{kind.title()}Event"
        for kind in ("balance", "session", "notice", "limit")
    }


def test_a_session_ended_conflict_matches_its_documented_schema(
    server: ServerProcess, http: httpx.Client
) -> None:
    document = http.get(server.url + "/openapi.json").json()
    api = Api(server.url, "conflicts")
    session_id = api.open("sms").json()["session_id"]
    assert api.end(session_id, 1, 1).status_code == 200
    body = problem(api.update(session_id, 2, 1), 409, "session_ended")
    assert body["session"]["state"] == "ended"
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/SessionProblem", "components": document["components"]}
    )
    validator.validate(body)
    with pytest.raises(jsonschema.ValidationError):  # the schema does say what a session is
        validator.validate({**body, "session": {**body["session"], "state": "gone"}})


# -- services and quotes -----------------------------------------------------------------


def _expected_services(plan_id: str) -> list[dict[str, Any]]:
    """``GET /v1/services`` for ``plan_id`` by PROTOCOL.md and CATALOG.md's defaults."""
    plan = next(p for p in CATALOG["plans"] if p["id"] == plan_id)
    services = {s["id"]: s for s in CATALOG["services"]}
    default_grant = {"second": 60, "byte": 1000000, "event": 1}
    expected = []
    for rate in plan["rates"]:
        service = services[rate["service"]]
        increment = rate.get("increment", 1)
        expected.append(
            {
                "service_id": service["id"],
                "name": service["name"],
                "unit": service["unit"],
                "media": service["media"],
                "update_interval": service.get("update_interval", 10),
                "grant": service.get("grant", default_grant[service["unit"]]),
                "rate": {
                    "timezone": plan.get("timezone", "UTC"),
                    "price": rate["price"],
                    "per": rate.get("per", 1),
                    "increment": increment,
                    "first_increment": rate.get("first_increment", increment),
                    "setup_fee": rate.get("setup_fee", "0"),
                    "min_charge": rate.get("min_charge", "0"),
                    "windows": rate.get("windows", []),
                },
            }
        )
    return expected


@pytest.mark.parametrize(("login", "plan_id"), [("lister", "std"), ("lister-mini", "mini")])
def test_services_list_the_plan_with_its_rates(
    server: ServerProcess, login: str, plan_id: str
) -> None:
    answer = Api(server.url, login).get("/v1/services")
    assert answer.status_code == 200, answer.text
    assert answer.json() == _expected_services(plan_id)


def test_services_and_quotes_need_an_account(server: ServerProcess) -> None:
    support = Api(server.url, "support")
    problem(support.get("/v1/services"), 404, "not_found")
    problem(quote(support, "sms", 1), 404, "not_found")


@pytest.mark.parametrize(
    ("service_id", "units", "charge"),
    [
        ("voice", 61, "0.071"),  # 0.01 setup + 61 s at 0.06/60
        ("voice", 1, "0.07"),  # the first increment is 60 s
        ("voice", 60, "0.07"),
        ("voice", 0, "0"),  # no usage: no setup fee
        ("fast", 7, "0.07"),
        ("dl", 1500000, "0.015"),
        ("dl", 49, "0"),  # 0.00000049 rounds half-up to 0
        ("dl", 50, "0.000001"),  # 0.0000005 rounds half-up to 0.000001
        ("sms", 3, "0.15"),
    ],
)
def test_quote_charges_by_the_rating_rules(
    server: ServerProcess, service_id: str, units: int, charge: str
) -> None:
    assert quoted(Api(server.url, "quoter"), service_id, units)["charge"] == charge


def test_quote_on_another_plan_uses_its_rate(server: ServerProcess) -> None:
    assert quoted(Api(server.url, "mini"), "voice", 30)["charge"] == "0.06"  # 0.12/60, no setup


@pytest.mark.parametrize(
    ("service_id", "max_units"),
    [
        ("sms", 20),  # 1 / 0.05
        ("voice", 990),  # (1 - 0.01 setup) / (0.06 / 60)
        ("fast", 100),  # 1 / 0.01
        # 1 / (0.01 / 1,000,000) = 100,000,000 bytes; charges round half-up to 6
        # places, so 49 more bytes (0.00000049) still charge exactly 1
        ("dl", 100000049),
    ],
)
def test_quote_max_units_is_what_the_balance_covers(
    server: ServerProcess, service_id: str, max_units: int
) -> None:
    api = Api(server.url, "one-euro")
    answer = quoted(api, service_id, 1)
    assert answer["max_units"] == max_units
    assert quoted(api, service_id, max_units)["charge"] == "1"
    assert Decimal(quoted(api, service_id, max_units + 1)["charge"]) > 1


def test_quote_max_units_follows_available_not_balance(server: ServerProcess) -> None:
    api = Api(server.url, "held")
    opened = api.open("sms")  # holds 0.05 of the 1
    assert opened.status_code == 201, opened.text
    assert api.account()["available"] == "0.95"
    assert quoted(api, "sms", 1)["max_units"] == 19
    assert api.end(opened.json()["session_id"], 1, 0).status_code == 200
    assert quoted(api, "sms", 1)["max_units"] == 20


def test_quote_with_nothing_available(server: ServerProcess) -> None:
    body = quoted(Api(server.url, "broke"), "sms", 2)
    assert (body["charge"], body["max_units"]) == ("0.1", 0)


def test_free_service_has_no_max_units(server: ServerProcess) -> None:
    api = Api(server.url, "free")
    body = quoted(api, "chat", 1000)
    assert (body["charge"], body["max_units"]) == ("0", None)
    assert quoted(api, "sms", 1)["max_units"] == 0  # a priced service on the same plan
    assert api.get("/v1/services").json() == _expected_services("gratis")


@pytest.mark.parametrize(
    ("login", "service_id"),
    [("mini", "sms"), ("mini", "chat"), ("quoter", "chat"), ("quoter", "nope")],
)
def test_quote_for_a_service_outside_the_plan(
    server: ServerProcess, login: str, service_id: str
) -> None:
    body = problem(quote(Api(server.url, login), service_id, 1), 403, "service_not_in_plan")
    assert service_id in body["detail"]
