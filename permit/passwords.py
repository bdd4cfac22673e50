"""Password hashing with Argon2id (a memory-hard KDF); also the e-signature check."""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# The defaults follow RFC 9106's second recommendation. Tests and benchmarks may set
# PERMIT_FAST_HASHES=1 so that the thousands of users they create do not each cost ~50 ms;
# a stored hash carries its own parameters, so verification is always by the hash's own cost.
_hasher = (
    PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if os.environ.get("PERMIT_FAST_HASHES") == "1"
    else PasswordHasher()
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str | None) -> bool:
    if not stored or not password:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
