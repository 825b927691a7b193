"""The signed-in device, the password and the billing component's version."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from billclient.component import BUNDLED_COMPONENT_VERSION, ComponentStore
from billclient.core.client import BillingClient
from billclient.core.pool import tls_verification
from billclient.protocol import Account, DeviceInfo, Service, SessionResource

__all__ = [
    "ComponentCheck",
    "change_password",
    "check_component_update",
    "component_version",
    "devices",
    "read_account",
    "read_services",
    "read_session",
    "revoke_device",
]


@dataclass(frozen=True)
class ComponentCheck:
    """What the servers said about the billing component: the version in use and a
    one-line message (a newer version, or why none could be found)."""

    current: str
    message: str


async def read_account(client: BillingClient) -> Account:
    """The account as the server has it now (not published: see ``refresh_account``)."""
    return await client.api.account()


async def read_services(client: BillingClient) -> list[Service]:
    """The services of the account's plan, with their rates."""
    return await client.api.services()


async def read_session(client: BillingClient, *, session_id: str) -> SessionResource:
    """A session of the account as the server has it (one another device runs, too)."""
    return await client.api.session(session_id)


async def devices(client: BillingClient) -> list[DeviceInfo]:
    """The account's signed-in devices."""
    return await client.api.devices()


async def revoke_device(client: BillingClient, *, device_id: str) -> None:
    """Sign another device out (it must sign in again with the password)."""
    await client.api.revoke_device(device_id)


async def change_password(client: BillingClient, *, old: str, new: str) -> None:
    """Change the password; every other device is signed out by the server."""
    await client.api.change_password(old, new)


async def component_version(client: BillingClient) -> str:
    """The billing component version this profile uses (read from its data directory)."""
    pointer = await asyncio.to_thread(ComponentStore(client.paths.data_dir).pointer)
    return pointer.version if pointer is not None else BUNDLED_COMPONENT_VERSION


async def check_component_update(client: BillingClient) -> ComponentCheck:
    """Ask the servers whether a newer signed component exists (installs nothing)."""
    # imported here: the updater's TUF stack takes a while to load, not worth it at start
    from billclient.core.updater import check_for_update

    result = await check_for_update(
        client.paths.data_dir,
        client.pool.order,
        verify=tls_verification(client.settings.ca_file),
    )
    return ComponentCheck(result.current, result.message[:1].upper() + result.message[1:])
