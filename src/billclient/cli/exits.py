"""Exit statuses of ``billclient`` commands, and which error maps to which."""

from __future__ import annotations

from billclient.core.errors import (
    BillingError,
    CredentialsUnavailable,
    DeviceRevoked,
    NotSignedIn,
    ServerUnreachable,
    Unauthorized,
)

__all__ = [
    "AUTH",
    "CONFIRM",
    "EPILOG",
    "FAILURE",
    "INTERRUPTED",
    "OFFLINE",
    "OK",
    "STOPPED",
    "USAGE",
    "CliError",
    "status_for",
]

OK = 0
FAILURE = 1
USAGE = 2
AUTH = 3
OFFLINE = 4
CONFIRM = 5
STOPPED = 6
INTERRUPTED = 130

EPILOG = """\
exit status:
  0    success
  1    the server refused the request, or another failure (the message says why)
  2    usage error (bad arguments or values)
  3    not signed in, signed out elsewhere, or the keychain cannot be used: sign in again
  4    no billing server answered
  5    a confirmation is needed: run it on a terminal, or pass --yes
  6    `use`: the service stopped before the requested amount (credit used up, ended by
       the server, or no server answered once the grant was used)
  130  interrupted (Ctrl+C)
"""


class CliError(Exception):
    """A one-line error of the command line itself, with its exit status."""

    def __init__(self, message: str, status: int = FAILURE) -> None:
        super().__init__(message)
        self.status = status


def status_for(error: BaseException) -> int:
    """The exit status for an error a command raised."""
    if isinstance(error, CliError):
        return error.status
    if isinstance(error, NotSignedIn | CredentialsUnavailable | DeviceRevoked | Unauthorized):
        return AUTH
    if isinstance(error, ServerUnreachable):
        return OFFLINE
    if isinstance(error, BillingError):
        return FAILURE
    return FAILURE
