"""Exit statuses of ``billclient`` commands, and which error maps to which.

One table (:data:`EPILOG`, README's "Exit status") for every command, the demo and
the screenshot tour included.
"""

from __future__ import annotations

from billclient.core.errors import (
    ApiError,
    BillingError,
    Conflict,
    CredentialsUnavailable,
    DeviceRevoked,
    Forbidden,
    InsecureServer,
    InsufficientFunds,
    InvalidRequest,
    NotABillingServer,
    NotFound,
    NotSignedIn,
    RateLimited,
    ServerUnreachable,
    ServiceNotOffered,
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
    "REFUSED",
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
REFUSED = 7
INTERRUPTED = 130

EPILOG = """\
exit status:
  0    success (also when the output's reader closed the pipe early: `| head`)
  1    another failure (the message says why)
  2    usage error or invalid input: bad arguments or values, a value the server
       refused as invalid (422), an id or name it does not know (404)
  3    not signed in, wrong login or password, signed out elsewhere, or no keychain
       to keep the sign-in in: sign in again (see login --store-in-file)
  4    no billing server answered
  5    a confirmation is needed: run it on a terminal, or pass --yes
  6    `use`: the service stopped before the requested amount (credit used up, ended by
       the server, or no server answered once the grant was used)
  7    refused: not enough credit (402), not allowed or account inactive (403), a
       conflict such as an invoice already paid (409), too many attempts (429), or a
       card the bank declined
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
    wrong_input = InvalidRequest | NotFound | InsecureServer | ServiceNotOffered | NotABillingServer
    if isinstance(error, wrong_input):
        return USAGE
    if isinstance(error, InsufficientFunds | Forbidden | Conflict | RateLimited):
        return REFUSED
    if isinstance(error, ApiError | BillingError):
        return FAILURE
    return FAILURE
