"""Password hashing with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]

_HASHER = PasswordHasher()

# Verified against when a login is unknown, so that a wrong login costs as much
# time as a wrong password and does not reveal which logins exist.
_DUMMY_HASH = _HASHER.hash("not a real password")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; encodes its own parameters)."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (None: an unknown login)."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
