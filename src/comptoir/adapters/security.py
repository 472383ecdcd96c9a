"""Password hashing (argon2id) and access tokens (JWT, HS256).

Both translate their library's errors into ours at the edge: a bad token becomes
`Unauthenticated` with a code that says what is wrong, never a PyJWT exception.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import argon2
import jwt
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import get_default_parameters

from comptoir.domain.actors import Role
from comptoir.domain.errors import Unauthenticated
from comptoir.services.tokens import IssuedToken, TokenClaims

_ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "role"]


class Argon2PasswordHasher:
    """argon2id with argon2-cffi's RFC 9106 defaults; cheaper parameters can be passed for tests."""

    def __init__(
        self, *, time_cost: int | None = None, memory_cost: int | None = None, parallelism: int | None = None
    ) -> None:
        defaults = get_default_parameters()
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_cost or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


class JwtTokens:
    """HS256 tokens carrying `sub` (user id), `role`, `iat` and `exp`."""

    def __init__(self, secret: str, ttl_seconds: int, *, clock: Callable[[], datetime] | None = None) -> None:
        if not secret:
            raise ValueError("a JWT secret is required")
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock or (lambda: datetime.now(UTC))

    def issue(self, user_id: int, role: Role) -> IssuedToken:
        now = self._clock().replace(microsecond=0)
        expires_at = now + timedelta(seconds=self._ttl)
        claims = {"sub": str(user_id), "role": role.value, "iat": now, "exp": expires_at}
        token = jwt.encode(claims, self._secret, algorithm=_ALGORITHM)
        return IssuedToken(token=token, expires_at=expires_at, expires_in=self._ttl)

    def verify(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": _REQUIRED_CLAIMS},
                leeway=0,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired; log in again", code="token_expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated("The access token's signature is not valid", code="token_invalid") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"The access token is not valid: {exc}", code="token_invalid") from exc
        try:
            return TokenClaims(user_id=int(claims["sub"]), role=Role(claims["role"]))
        except (TypeError, ValueError) as exc:
            raise Unauthenticated("The access token's claims are not valid", code="token_invalid") from exc
