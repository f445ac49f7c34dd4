"""Argon2id password hashes (pwdlib, with argon2-cffi), and the list of common passwords
refused as passwords (zxcvbn's 30,000, shipped in the package: nothing is downloaded)."""

from __future__ import annotations

from functools import cached_property

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = ["Argon2Hasher", "Argon2Passwords"]


class Argon2Passwords:
    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        """`hasher`: the recommended parameters (RFC 9106's second choice: 64 MiB, 3 passes)
        unless given; the tests pass cheaper ones, the algorithm stays Argon2id."""
        self._hash = PasswordHash((hasher or Argon2Hasher(),))
        self._dummy = self._hash.hash("giliran: a password nobody has")

    @cached_property
    def common(self) -> frozenset[str]:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

        return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        if hashed is None:
            self._hash.verify(password, self._dummy)
            return False, None
        try:
            return self._hash.verify_and_update(password, hashed)
        except Exception:  # a hash this library cannot read: no match, never a 500
            return False, None
