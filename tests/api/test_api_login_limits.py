"""Failed logins and registrations are limited: 429 `too_many_attempts` with Retry-After, lifted by waiting.

Driven over HTTP against the real app with in-process counting (the default); the counter itself is
tested against memory and Redis in tests/integration/test_attempt_counter.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from comptoir.api.problems import PROBLEM_JSON
from tests.api.support import PASSWORD, Api
from tests.support import wait_until

SMALL = {"login_failures_per_account": 3, "login_failures_per_address": 8, "registrations_per_address": 3}
"""Limits a test reaches in a few requests; the windows keep their defaults (15 min, 1 h) unless a test says."""

WRONG = "pas-le-bon-mot-de-passe"


def _login(api: Api, email: str, password: str, path: str = "/api/auth/login") -> httpx.Response:
    return api.client.post(path, json={"email": email, "password": password})


def _fail(api: Api, email: str, times: int, path: str = "/api/auth/login") -> list[int]:
    return [_login(api, email, WRONG, path).status_code for _ in range(times)]


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "too_many_attempts"
    seconds = int(response.headers["retry-after"])
    assert response.json()["retry_after"] == seconds
    return seconds


@pytest.mark.parametrize("storage", ["memory://", "database"])
def test_wrong_passwords_lock_the_account_and_then_even_the_right_password_is_refused(
    api_with: Callable[..., Api], storage: str
) -> None:
    # given a customer and a limit of 3 failed logins per account in 15 minutes, counted in memory or the database
    api = api_with(**SMALL, rate_limit_storage=storage)
    api.register("boucher@example.com")
    # when someone tries 3 wrong passwords
    assert _fail(api, "boucher@example.com", 3) == [401, 401, 401]
    # then the 4th attempt is refused before the password is checked, saying when to come back
    refused = _login(api, "boucher@example.com", WRONG)
    assert 0 < _retry_after(refused) <= 15 * 60
    assert "try again in" in refused.json()["detail"]
    # and the right password is refused too while the account waits
    assert _retry_after(_login(api, "Boucher@Example.com ", PASSWORD)) > 0


def test_an_unknown_email_is_limited_like_a_known_one(api_with: Callable[..., Api]) -> None:
    # given no account for this email
    api = api_with(**SMALL)
    # when it fails 3 times
    assert _fail(api, "personne@example.com", 3) == [401, 401, 401]
    # then it is refused like a real account, so a 429 does not reveal who has one
    assert _retry_after(_login(api, "personne@example.com", WRONG)) > 0


def test_a_colleague_at_the_same_address_still_logs_in_until_the_address_itself_is_limited(
    api_with: Callable[..., Api],
) -> None:
    # given two accounts used from the same shop address; one of them is locked out
    api = api_with(**SMALL)
    api.register("caisse@example.com")
    api.register("boucher@example.com")
    _fail(api, "caisse@example.com", 3)
    assert _login(api, "caisse@example.com", PASSWORD).status_code == 429
    # when the other logs in with the right password, then the other account's failures do not block it
    assert _login(api, "boucher@example.com", PASSWORD).status_code == 200
    # when the address fails 8 times in all (the per-address limit), over any accounts
    assert _fail(api, "quelquun@example.com", 3) == [401, 401, 401]
    assert _fail(api, "autre@example.com", 2) == [401, 401]
    # then logins from that address wait, whatever the account
    assert _retry_after(_login(api, "boucher@example.com", PASSWORD)) > 0


def test_a_successful_login_clears_its_account_failures(api_with: Callable[..., Api]) -> None:
    # given a customer who mistyped twice, then got it right
    api = api_with(**SMALL)
    api.register("client@example.com")
    _fail(api, "client@example.com", 2)
    assert _login(api, "client@example.com", PASSWORD).status_code == 200
    # when they mistype twice more
    # then they are told the password is wrong, not to wait (the count started again)
    assert _fail(api, "client@example.com", 2) == [401, 401]
    assert _login(api, "client@example.com", PASSWORD).status_code == 200


def test_a_locked_out_account_gets_back_in_once_the_window_has_passed(api_with: Callable[..., Api]) -> None:
    # given a window of 3 seconds, and an account that failed 3 times in it
    api = api_with(**SMALL, login_window_seconds=3)
    api.register("boucher@example.com")
    _fail(api, "boucher@example.com", 3)
    assert 0 < _retry_after(_login(api, "boucher@example.com", PASSWORD)) <= 3
    # when the window passes, then the right password works again, with nothing reset by hand
    wait_until(lambda: _login(api, "boucher@example.com", PASSWORD).status_code == 200, "the lock to lift")


def test_the_seed_000_login_is_limited_too_with_its_french_wording(api_with: Callable[..., Api]) -> None:
    # given the Porsche walkthrough's login route and a customer
    api = api_with(**SMALL)
    api.register("client@example.com")
    # when it receives 3 wrong passwords
    assert _fail(api, "client@example.com", 3, path="/user/login") == [401, 401, 401]
    # then it answers 429 in the guide's language, with Retry-After, even to the right password
    refused = _login(api, "client@example.com", PASSWORD, path="/user/login")
    seconds = _retry_after(refused)
    assert refused.json()["detail"].startswith(f"Trop de tentatives de connexion ratées : réessaie dans {seconds} s")
    # and the native route shares the same count (one account, one limit, whichever door)
    assert _login(api, "client@example.com", PASSWORD).status_code == 429


def test_registrations_from_one_address_are_limited(api_with: Callable[..., Api]) -> None:
    # given a limit of 3 registrations per address per hour
    api = api_with(**SMALL)
    for n in range(3):
        api.register(f"client{n}@example.com")
    # when a 4th account is created from the same address
    refused = api.client.post(
        "/api/auth/register", json={"email": "client3@example.com", "password": PASSWORD, "name": ""}
    )
    # then it is refused with the time to wait
    assert 0 < _retry_after(refused) <= 60 * 60
    assert "accounts created from this address" in refused.json()["detail"]


def test_the_429_is_documented_on_every_limited_route(api: Api) -> None:
    # when the OpenAPI schema is read
    paths: dict[str, Any] = api.client.get("/openapi.json").json()["paths"]
    # then the login, compat login and register routes list the 429 as problem+json
    for path in ("/api/auth/login", "/api/auth/register", "/user/login"):
        answer = paths[path]["post"]["responses"]["429"]
        assert PROBLEM_JSON in answer["content"], path
        assert "Retry-After" in answer["description"], path
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer"}, path


def _fail_from(api: Api, forwarded_for: str, email: str) -> int:
    return api.client.post(
        "/api/auth/login", json={"email": email, "password": WRONG}, headers={"X-Forwarded-For": forwarded_for}
    ).status_code


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(api_with: Callable[..., Api]) -> None:
    # given no trusted proxy (the default)
    api = api_with(**SMALL)
    # when a client claims a new address in X-Forwarded-For for each of 8 failures (over fresh emails)
    statuses = [_fail_from(api, f"198.51.100.{n}", f"victime{n}@example.com") for n in range(8)]
    # then they all count against the address it really connects from, which now waits
    assert statuses == [401] * 8
    assert _fail_from(api, "198.51.100.99", "encore@example.com") == 429


def test_a_trusted_proxy_names_the_client_address(api_with: Callable[..., Api]) -> None:
    # given the test client's peer is the trusted reverse proxy
    api = api_with(**SMALL, trusted_proxies="testclient")
    # when one client behind it fails 8 times
    assert [_fail_from(api, "198.51.100.1", f"essai{n}@example.com") for n in range(8)] == [401] * 8
    # then that client waits, and another client behind the same proxy does not
    assert _fail_from(api, "198.51.100.1", "encore@example.com") == 429
    assert _fail_from(api, "198.51.100.2", "encore@example.com") == 401
