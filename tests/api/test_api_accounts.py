"""Register, log in, who am I — and every way a token can be wrong, each with its own answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import argon2
import jwt
import pytest

from comptoir.adapters.security import JwtTokens
from comptoir.domain.actors import Role
from tests.api.support import FAST_HASHER, JWT_SECRET, PASSWORD, Api, bearer

PROBLEM_JSON = "application/problem+json"
_ADMIN_CLAIMS = {"sub": "1", "role": "admin", "iat": 1, "exp": 4102444800}


def test_a_visitor_registers_and_is_logged_in_at_once(api_both: Api) -> None:
    # when
    response = api_both.client.post(
        "/api/auth/register", json={"email": "  Alice@Example.COM ", "password": PASSWORD, "name": "Alice"}
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"] == {
        "id": body["user"]["id"],
        "email": "alice@example.com",
        "name": "Alice",
        "role": "customer",
        "shop_ids": [],
        "phone": None,
        "locale": None,
    }
    me = api_both.client.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_a_registered_customer_logs_in_with_any_case_of_their_email(api: Api) -> None:
    # given
    registered = api.register("bob@example.com")
    # when
    response = api.client.post("/api/auth/login", json={"email": "BOB@example.com", "password": PASSWORD})
    # then
    assert response.status_code == 200
    assert response.json()["user"] == registered["user"]
    assert (
        api.client.get("/api/me", headers=bearer(response.json()["access_token"])).json()["email"] == "bob@example.com"
    )


def test_an_email_registers_only_once(api_both: Api) -> None:
    # given
    api_both.register("carol@example.com")
    # when
    response = api_both.client.post(
        "/api/auth/register", json={"email": "CAROL@example.com", "password": "another-password"}
    )
    # then
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "email_taken"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"email": "dan@example.com", "password": "short"}, "password_too_short"),
        ({"email": "not-an-email", "password": PASSWORD}, "invalid_email"),
    ],
)
def test_registration_refuses_weak_passwords_and_bad_emails(api: Api, payload: dict[str, str], code: str) -> None:
    response = api.client.post("/api/auth/register", json=payload)
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(api: Api) -> None:
    # given
    api.register("erin@example.com")
    # when
    wrong_password = api.client.post(
        "/api/auth/login", json={"email": "erin@example.com", "password": "not-her-password"}
    )
    unknown_email = api.client.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    # then
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["code"] == "invalid_credentials"


def test_a_merchant_sees_their_shops_in_me(api: Api) -> None:
    # given
    shop_id = api.add_shop("la-boucherie")
    headers = api.add_merchant("boucher@example.com", "la-boucherie")
    # when
    me = api.client.get("/api/me", headers=headers).json()
    # then
    assert (me["role"], me["shop_ids"]) == ("merchant", [shop_id])


def _promoted_to_admin(token: str) -> str:
    """The same token with its payload rewritten to claim the admin role, signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps(claims | {"role": "admin"}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _expired_token(user_id: int) -> str:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    return JwtTokens(JWT_SECRET, 3600, clock=lambda: two_hours_ago).issue(user_id, Role.CUSTOMER).token


@pytest.mark.parametrize(
    ("make_headers", "code", "detail_contains"),
    [
        pytest.param(lambda token, _: {}, "token_missing", "Missing Authorization header", id="no-header"),
        pytest.param(
            lambda token, _: {"Authorization": token},
            "bearer_missing",
            "the word Bearer is missing",
            id="token-without-Bearer",
        ),
        pytest.param(
            lambda token, _: {"Authorization": f"Token {token}"},
            "bearer_missing",
            "'Bearer <token>'",
            id="other-scheme",
        ),
        pytest.param(lambda token, _: {"Authorization": "Bearer "}, "token_missing", "no token", id="Bearer-alone"),
        pytest.param(
            lambda token, _: bearer(_promoted_to_admin(token)), "token_invalid", "signature", id="tampered-role"
        ),
        pytest.param(
            lambda token, _: {"Authorization": "Bearer abc.def.ghi"}, "token_invalid", "not valid", id="garbage"
        ),
        pytest.param(lambda token, user_id: bearer(_expired_token(user_id)), "token_expired", "expired", id="expired"),
        pytest.param(
            lambda token, _: bearer(
                jwt.encode(_ADMIN_CLAIMS, "guessed-secret-guessed-secret-guessed", algorithm="HS256")
            ),
            "token_invalid",
            "signature",
            id="forged-with-another-key",
        ),
    ],
)
def test_every_bad_authorization_gets_a_401_that_says_what_is_wrong(
    api: Api, make_headers: Callable[[str, int], dict[str, str]], code: str, detail_contains: str
) -> None:
    # given a real customer and their valid token
    registered = api.register("frank@example.com")
    headers = make_headers(registered["access_token"], registered["user"]["id"])
    # when
    response = api.client.get("/api/me", headers=headers)
    # then
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] == code
    assert detail_contains in body["detail"]


def test_the_scheme_word_is_case_insensitive(api: Api) -> None:
    token = api.register("gina@example.com")["access_token"]
    assert api.client.get("/api/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_a_token_of_a_deleted_account_no_longer_works(api_both: Api) -> None:
    # given
    registered = api_both.register("hugo@example.com")
    with api_both.uow() as uow:
        user = uow.users.get(registered["user"]["id"])
        assert user is not None
        uow.session.delete(user)  # type: ignore[attr-defined]
        uow.commit()
    # when
    response = api_both.client.get("/api/me", headers=bearer(registered["access_token"]))
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_logging_in_upgrades_a_hash_made_with_weaker_parameters(api: Api) -> None:
    # given an account whose hash predates the current argon2id parameters
    user_id = api.register("iris@example.com")["user"]["id"]
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=4 * 1024, parallelism=1, type=argon2.Type.ID)
    with api.uow() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        user.password_hash = weaker.hash(PASSWORD)
        uow.commit()
    # when
    response = api.client.post("/api/auth/login", json={"email": "iris@example.com", "password": PASSWORD})
    # then
    assert response.status_code == 200
    with api.uow() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        assert "m=8192" in user.password_hash
        assert not FAST_HASHER.needs_rehash(user.password_hash)
