"""The access-token port: services and routes issue and check tokens through this Protocol.

The JWT implementation lives in `comptoir.adapters.security`; tests may use it directly (it
needs no network) or any object with the same two methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from comptoir.domain.actors import Role


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    expires_in: int


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    role: Role


class TokenIssuer(Protocol):
    def issue(self, user_id: int, role: Role) -> IssuedToken:
        """A signed token naming the user and role, valid for the configured lifetime."""
        ...

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; raises `Unauthenticated` (token_expired / token_invalid) otherwise."""
        ...


@runtime_checkable
class RehashingHasher(Protocol):
    """A password hasher that can tell when a stored hash uses outdated parameters."""

    def needs_rehash(self, password_hash: str) -> bool: ...
