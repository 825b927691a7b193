"""TLS: a certificate the system does not trust is refused (TlsFailure); the CA file
setting makes a private deployment's certificate trusted.

The endpoint is a small HTTPS listener in the test (the billing server has no TLS of
its own: deployments put it behind a TLS proxy); the certificate is made here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from billclient.core.client import BillingClient
from billclient.core.errors import SettingsError, TlsFailure
from billclient.core.pool import ServerPool, tls_verification

from .conftest import ClientHome


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "billing test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"status": "ok", "server_id": "tls"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass  # the client refused the certificate
    finally:
        writer.close()


def test_an_untrusted_certificate_is_refused_and_a_ca_file_trusts_it(
    tmp_path: Path, client_home: ClientHome
) -> None:
    cert_file, key_file = _self_signed(tmp_path)

    async def scenario() -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        listener = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=context)
        port = listener.sockets[0].getsockname()[1]
        url = f"https://127.0.0.1:{port}"
        try:
            untrusted = ServerPool([url])
            with pytest.raises(TlsFailure) as refused:
                await untrusted.request("GET", "/v1/health", budget=5)
            assert "certificate" in str(refused.value)
            await untrusted.aclose()

            trusted = ServerPool([url], verify=tls_verification(cert_file))
            answer = await trusted.request("GET", "/v1/health", budget=5)
            assert answer.json()["server_id"] == "tls"
            await trusted.aclose()

            client = BillingClient.open()
            client.settings.ca_file = cert_file
            client.settings.servers = [url]
            client.settings.save(client.paths)
            await client.aclose()
            async with BillingClient.open() as configured:
                assert (await configured.api.health()).server_id == "tls"
        finally:
            listener.close()
            await listener.wait_closed()

    asyncio.run(scenario())


def test_a_missing_ca_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot use the CA file"):
        tls_verification(tmp_path / "nope.pem")
