"""The argon2id hasher and the JWT issuer, on their own (no HTTP, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import argon2
import jwt
import pytest

from comptoir.adapters.security import Argon2PasswordHasher, JwtTokens
from comptoir.domain.actors import Role
from comptoir.domain.errors import Unauthenticated
from comptoir.services.tokens import RehashingHasher

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def test_a_password_hash_is_argon2id_and_verifies_only_the_same_password(hasher: Argon2PasswordHasher) -> None:
    # given
    stored = hasher.hash("correct horse battery")
    # then
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse batterY")


def test_a_corrupt_hash_is_a_failed_verification_not_a_crash(hasher: Argon2PasswordHasher) -> None:
    assert not hasher.verify("not-a-hash", "whatever1")
    assert hasher.needs_rehash("not-a-hash")


def test_a_hash_made_with_weaker_parameters_needs_rehashing(hasher: Argon2PasswordHasher) -> None:
    # given a hash from an older, weaker configuration
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=argon2.Type.ID)
    old_hash = weak.hash("password123")
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1)
    # then
    assert isinstance(stronger, RehashingHasher)
    assert stronger.verify(old_hash, "password123")
    assert stronger.needs_rehash(old_hash)
    assert not hasher.needs_rehash(old_hash)


def test_a_token_carries_user_role_iat_and_exp() -> None:
    # given
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    tokens = JwtTokens(SECRET, 600, clock=lambda: now)
    # when
    issued = tokens.issue(42, Role.MERCHANT)
    # then
    claims = jwt.decode(issued.token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims == {"sub": "42", "role": "merchant", "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 600}
    assert issued.expires_at == now + timedelta(seconds=600)
    assert issued.expires_in == 600


def test_a_fresh_token_verifies_to_its_claims() -> None:
    tokens = JwtTokens(SECRET, 600)
    claims = tokens.verify(tokens.issue(7, Role.CUSTOMER).token)
    assert (claims.user_id, claims.role) == (7, Role.CUSTOMER)


def test_an_expired_token_is_refused_as_expired() -> None:
    # given a token issued two hours ago with a one-hour lifetime
    past = datetime.now(UTC) - timedelta(hours=2)
    token = JwtTokens(SECRET, 3600, clock=lambda: past).issue(7, Role.CUSTOMER).token
    # when / then
    with pytest.raises(Unauthenticated) as caught:
        JwtTokens(SECRET, 3600).verify(token)
    assert caught.value.code == "token_expired"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            JwtTokens("another-secret-another-secret-another-secret", 600).issue(7, Role.ADMIN).token, id="other-key"
        ),
        pytest.param("not.a.jwt", id="garbage"),
        pytest.param(jwt.encode({"sub": "7", "role": "customer"}, SECRET, algorithm="HS256"), id="no-exp"),
        pytest.param(
            jwt.encode({"sub": "7", "role": "owner", "iat": 1, "exp": 4102444800}, SECRET, algorithm="HS256"),
            id="unknown-role",
        ),
        pytest.param(
            jwt.encode({"sub": "7", "role": "admin", "iat": 1, "exp": 4102444800}, "", algorithm="none"), id="alg-none"
        ),
    ],
)
def test_tokens_that_are_forged_or_malformed_are_invalid(token: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        JwtTokens(SECRET, 600).verify(token)
    assert caught.value.code == "token_invalid"
