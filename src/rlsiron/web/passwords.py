"""Password hashing: argon2id (argon2-cffi's RFC 9106 low-memory profile by default).

`verify` takes as long for an email without an account as for a wrong password (it checks
against a hash made at start), so the time of an answer does not tell whether an account
exists. A hash made with weaker parameters than the current ones is replaced at the next
successful sign-in (`needs_rehash`). Tests pass a cheap hasher; the app never reads the
parameters from its settings, so a deployment cannot weaken them by mistake.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._stand_in = self.hasher.hash(secrets.token_urlsafe())

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches the stored hash; None (no account) never matches."""
        try:
            return self.hasher.verify(stored or self._stand_in, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
