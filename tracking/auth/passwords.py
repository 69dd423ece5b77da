"""Password hashes: argon2id through argon2-cffi, with its recommended parameters (RFC 9106
"second recommended option": 64 MiB, 3 passes, 4 lanes)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tracking.errors import InvalidInput

_HASHER = PasswordHasher()  # argon2id by default

# Verified against when the login is unknown, so an unknown login costs the same time as a
# wrong password (no login enumeration by timing).
_DUMMY_HASH = None


def hash_password(password: str) -> str:
    if not password:
        raise InvalidInput("a password cannot be empty")
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_verification(password: str) -> None:
    """Spend the time of one verification (for an unknown or disabled login)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash("not a real password")
    verify_password(_DUMMY_HASH, password)
