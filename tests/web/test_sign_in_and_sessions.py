"""Signing in to the pages, staying signed in through a working day, and signing out."""

from __future__ import annotations

from pathlib import Path

from comptoir.app import create_app
from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD, TestClient, make_settings
from tests.web.support import BUTCHER, Site, csrf_of, open_shop, sign_in

CHEF = "chef@boucherie.example"


def _merchant(site: Site, email: str = CHEF, slug: str = BUTCHER) -> None:
    accounts.create_user(site.api.uow(), FAST_HASHER, email, PASSWORD, Role.MERCHANT, [slug])


def test_a_merchant_signs_in_and_lands_on_the_counter_screen(site: Site) -> None:
    # given a butcher's shop and its merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    # when the merchant signs in through the form
    response = sign_in(site.client, CHEF)
    # then they go to the counter screen with a session cookie a script cannot read
    assert response.status_code == 303 and response.headers["location"] == "/merchant"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("comptoir_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here: a Secure cookie would never come back
    assert site.client.get("/merchant").status_code == 200


def test_a_wrong_password_is_refused_in_words_and_signs_nobody_in(site: Site) -> None:
    # given a merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    # when they type a wrong password
    response = sign_in(site.client, CHEF, "not-my-password")
    # then the form comes back saying so, with the email kept, and nobody is signed in
    assert response.status_code == 401
    assert "The email or the password is wrong" in response.text and f'value="{CHEF}"' in response.text
    assert site.client.get("/merchant", follow_redirects=False).headers["location"] == "/sign-in?next=/merchant"


def test_the_sign_in_form_keeps_the_accounts_login_limits(site: Site) -> None:
    # given a merchant whose account already failed ten times
    open_shop(site.api, BUTCHER)
    _merchant(site)
    token = csrf_of(site.client.get("/sign-in").text)
    for _ in range(10):
        site.client.post("/sign-in", data={"email": CHEF, "password": "wrong-wrong", "csrf_token": token})
    # when the right password comes next
    response = site.client.post("/sign-in", data={"email": CHEF, "password": PASSWORD, "csrf_token": token})
    # then it waits too, and the page says for how long in minutes
    assert response.status_code == 429
    assert "Too many tries with a wrong password. Wait 15 minutes" in response.text


def test_the_session_slides_through_a_working_day_and_lapses_after_a_long_pause(site: Site) -> None:
    # given a merchant signed in at 9:00
    open_shop(site.api, BUTCHER)
    _merchant(site)
    sign_in(site.client, CHEF)
    # when the screen is used every 11 hours, past the 12 hours a single session would last
    for _ in range(3):
        site.clock.advance(hours=11)
        # then it stays signed in, and each use renews the cookie
        response = site.client.get("/merchant", follow_redirects=False)
        assert response.status_code == 200 and "comptoir_session=" in response.headers["set-cookie"]
    # and when nobody uses it for more than 12 hours, it asks to sign in again
    site.clock.advance(hours=12, seconds=1)
    response = site.client.get("/merchant", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/merchant"


def test_a_session_is_renewed_at_most_once_a_minute(site: Site) -> None:
    # given a merchant who just signed in
    open_shop(site.api, BUTCHER)
    _merchant(site)
    sign_in(site.client, CHEF)
    # when the page is seen again within the minute, then after it
    site.clock.advance(seconds=30)
    soon = site.client.get("/merchant")
    site.clock.advance(seconds=31)
    later = site.client.get("/merchant")
    # then only the later one sends a renewed cookie
    assert "set-cookie" not in soon.headers
    assert "comptoir_session=" in later.headers["set-cookie"]


def test_signing_out_needs_the_forms_token_and_ends_the_session(site: Site) -> None:
    # given a signed-in merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    sign_in(site.client, CHEF)
    page = site.client.get("/merchant")
    # when another site makes the browser post the sign-out form without the token
    refused = site.client.post("/sign-out", data={})
    # then it is refused with a page that says what to do, and the merchant is still signed in
    assert refused.status_code == 403 and "This form was out of date" in refused.text
    assert "set-cookie" not in refused.headers  # a refused post never replaces the browser's session
    assert site.client.get("/merchant").status_code == 200
    # when the merchant presses "Sign out"
    response = site.client.post("/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    # then the sign-in page says so, and the counter screen is closed
    assert response.url.path == "/sign-in" and "You are signed out" in response.text
    assert site.client.get("/merchant", follow_redirects=False).status_code == 303


def test_a_wrong_token_and_a_forged_cookie_are_refused(site: Site) -> None:
    # given a signed-in merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    sign_in(site.client, CHEF)
    # when a form comes with someone else's token
    refused = site.client.post("/sign-out", data={"csrf_token": "x" * 43})
    # then it is a 403 page, not a 500
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    # and a cookie whose signature does not match signs nobody in
    site.client.cookies.set("comptoir_session", "eyJ1IjoxfQ.forged")
    assert site.client.get("/merchant", follow_redirects=False).status_code == 303


def test_htmx_sends_the_token_in_a_header_and_is_redirected_the_htmx_way(site: Site) -> None:
    # given a signed-in merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    sign_in(site.client, CHEF)
    token = csrf_of(site.client.get("/merchant").text)
    # when htmx posts with the token in X-CSRF-Token (the layout's hx-headers)
    response = site.client.post("/sign-out", headers={"HX-Request": "true", "X-CSRF-Token": token})
    # then it is accepted, and htmx is told where to go
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/sign-in"


def test_sign_in_only_ever_leads_to_a_page_of_this_site(site: Site) -> None:
    # given a merchant
    open_shop(site.api, BUTCHER)
    _merchant(site)
    # when the sign-in link was crafted to lead elsewhere afterwards
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        site.client.cookies.clear()
        response = sign_in(site.client, CHEF, next=elsewhere)
        # then the merchant lands on the counter screen instead
        assert response.headers["location"] == "/merchant"


def test_a_customer_is_told_the_counter_screen_is_for_the_staff(site: Site) -> None:
    # given a customer account
    site.api.register("client@example.com")
    # when they sign in and open the counter screen
    sign_in(site.client, "client@example.com")
    response = site.client.get("/merchant")
    # then they are told, kindly, that it is not for them
    assert response.status_code == 403 and "for the people who work in the shop" in response.text


def test_over_https_the_cookies_are_secure(sqlite_url: str, tmp_path: Path) -> None:
    # given a shop served at an https address
    settings = make_settings(sqlite_url, tmp_path, public_url="https://boucherie.example")
    with TestClient(create_app(settings, hasher=FAST_HASHER), base_url="https://boucherie.example") as client:
        # when a page sets the session cookie and the language switch its own
        session = client.get("/sign-in").headers["set-cookie"]
        language = client.get("/language/fr?next=/sign-in", follow_redirects=False).headers["set-cookie"]
    # then both are Secure, HttpOnly and SameSite=Lax
    for cookie in (session, language):
        flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags
