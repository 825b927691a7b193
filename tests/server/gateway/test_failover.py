"""A download through the gateway survives a kill -9 of the primary billing server.

The client abandons its transfer when its billing server fails over and resumes it
with a ``Range`` request; the gateway keeps serving from the secondary. No byte is
charged (or counted by the gateway) twice.
"""

from __future__ import annotations

import random

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.gateways import GatewayProcess, gateway_flags
from tests.support.servers import free_port

from .helpers import CATALOG, Downloader, wait_for

SIZE = 1_048_576 + 123


def test_download_resumes_after_primary_failover_without_double_charge(
    servers: ServerFactory,
) -> None:
    files = servers.directory / "files"
    files.mkdir()
    content = random.Random(6).randbytes(SIZE)
    (files / "big.bin").write_bytes(content)
    servers.import_catalog([account("fan", "10")], base=CATALOG)
    port = free_port()
    primary = servers.start("primary", *gateway_flags(f"http://127.0.0.1:{port}"))
    secondary = servers.start("secondary", *gateway_flags(f"http://127.0.0.1:{port}"))
    gateway = GatewayProcess(
        [primary.url, secondary.url], log_dir=servers.directory, files=files, port=port
    ).start()
    try:
        api = Api(primary.url, "fan")
        opened = api.open("gdl")
        assert opened.status_code == 201, opened.text
        client = Downloader(api, [primary.url, secondary.url], opened.json())

        status = client.fetch(
            "big.bin", every=131_072, midway=primary.kill, at=SIZE // 2, drop_on_failover=True
        )
        assert status == 200
        assert client.failovers == 1 and api.url == secondary.url
        assert SIZE // 2 < len(client.received) < SIZE  # interrupted mid-transfer

        assert client.fetch("big.bin", every=131_072) == 206  # resumed with a Range
        assert bytes(client.received) == content
        ended = client.end()
        assert ended["used_units"] == SIZE and ended["unbilled_units"] == 0

        quote = api.post("/v1/quotes", {"service_id": "gdl", "units": SIZE}).json()
        assert ended["charged"] == quote["charge"]  # every byte charged once
        assert api.account()["balance"] == "8.951301"  # 10 - 1.048699
        support = Api(secondary.url, "support")

        def cdr() -> dict[str, object] | None:
            detail = support.get("/v1/admin/accounts/fan").json()
            found = [c for c in detail["last_cdrs"] if c["gateway_units"] == SIZE]
            return found[0] if found else None

        record = wait_for(cdr)
        assert record["used_units"] == SIZE and record["mismatch"] is False
        assert "/v1/gateway/admissions" in secondary.log()  # the gateway failed over too
        api.close()
        support.close()
    finally:
        assert gateway.stop() == 0, gateway.log()[-2000:]
    servers.verify()
