"""A customer's phone and language: given at sign-up, changed with PATCH /api/me, refused with a
clear code when malformed, and stored as the counter dials it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import PASSWORD, Api, bearer


def _register(api: Api, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    return api.client.post(
        "/api/auth/register", json={"email": "camille@example.com", "password": PASSWORD, **fields}, headers=headers
    )


def test_a_customer_gives_a_phone_and_a_language_at_sign_up(api_both: Api) -> None:
    # when
    response = _register(api_both, phone="+33 6 12 34 56 78", locale="en")
    # then
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert (user["phone"], user["locale"]) == ("+33612345678", "en")
    me = api_both.client.get("/api/me", headers=bearer(response.json()["access_token"])).json()
    assert (me["phone"], me["locale"]) == ("+33612345678", "en")


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("de-DE,en;q=0.5", "en"), ("de-DE,es;q=0.5", None), (None, None)],
)
def test_without_a_language_the_browsers_sets_it_when_it_names_french_or_english(
    api: Api, accept_language: str | None, locale: str | None
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else None
    response = _register(api, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["user"]["locale"] == locale


def test_a_language_given_wins_over_the_browsers(api: Api) -> None:
    response = _register(api, headers={"Accept-Language": "fr"}, locale="en")
    assert response.json()["user"]["locale"] == "en"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"phone": "call me maybe"}, "invalid_phone"),
        ({"phone": "12345"}, "invalid_phone"),
        ({"phone": "1" * 41}, "invalid_phone"),
        ({"phone": 612345678}, "invalid_phone"),
        ({"locale": "de"}, "invalid_locale"),
        ({"locale": "FR"}, "invalid_locale"),
        ({"locale": ["fr"]}, "invalid_locale"),
    ],
)
def test_sign_up_refuses_a_malformed_phone_or_language_and_creates_nobody(
    api: Api, fields: dict[str, Any], code: str
) -> None:
    # when
    response = _register(api, **fields)
    # then
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert (
        api.client.post("/api/auth/login", json={"email": "camille@example.com", "password": PASSWORD}).status_code
        == 401
    )


def test_a_signed_in_customer_changes_their_phone_then_their_language(api_both: Api) -> None:
    # given a customer who gave neither
    headers = api_both.customer_headers("dora@example.com")
    # when they give a phone
    phone = api_both.client.patch("/api/me", json={"phone": "07.11.22.33.44"}, headers=headers)
    # then it is stored, and the language is untouched
    assert phone.status_code == 200, phone.text
    assert (phone.json()["phone"], phone.json()["locale"]) == ("0711223344", None)
    # when they choose English, sending only that
    language = api_both.client.patch("/api/me", json={"locale": "en"}, headers=headers)
    # then the phone is kept and the language set, as /api/me says too
    assert (language.json()["phone"], language.json()["locale"]) == ("0711223344", "en")
    assert api_both.client.get("/api/me", headers=headers).json() == language.json()


def test_null_removes_a_phone_or_a_language_and_an_empty_body_changes_nothing(api: Api) -> None:
    headers = api.customer_headers("eve@example.com")
    api.client.patch("/api/me", json={"phone": "0611223344", "locale": "fr"}, headers=headers)
    assert api.client.patch("/api/me", json={}, headers=headers).json()["phone"] == "0611223344"
    cleared = api.client.patch("/api/me", json={"phone": None, "locale": None}, headers=headers).json()
    assert (cleared["phone"], cleared["locale"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "+33 6 12 34 56 78", "locale": "es"}, "invalid_locale"),
        ({"phone": "(0)"}, "invalid_phone"),
        ({"nickname": "eve"}, "invalid_request"),
    ],
)
def test_a_refused_change_changes_nothing(api: Api, body: dict[str, Any], code: str) -> None:
    # given a customer with a phone
    headers = api.customer_headers("fay@example.com")
    api.client.patch("/api/me", json={"phone": "0611223344"}, headers=headers)
    # when a change is refused
    response = api.client.patch("/api/me", json=body, headers=headers)
    # then it says which field, and nothing changed
    assert response.status_code == 422 and response.json()["code"] == code
    assert api.client.get("/api/me", headers=headers).json()["phone"] == "0611223344"


def test_changing_ones_phone_needs_a_token(api: Api) -> None:
    response = api.client.patch("/api/me", json={"phone": "0611223344"})
    assert response.status_code == 401 and response.json()["code"] == "token_missing"


def test_the_api_document_describes_the_new_fields(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "invalid_phone" in str(schemas["RegisterIn"]["properties"]["phone"])
    assert "patch" in document["paths"]["/api/me"]
    assert "invalid_locale" in str(schemas["MePatch"]["properties"]["locale"])
