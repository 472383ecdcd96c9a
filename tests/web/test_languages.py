"""Which language a page speaks, the switch on every page, and the pages' static files."""

from __future__ import annotations

import pytest

from comptoir.domain.actors import Role
from comptoir.services import accounts
from comptoir.web.i18n import accepted_languages, choose_language
from tests.api.support import FAST_HASHER, PASSWORD
from tests.web.support import BUTCHER, Site, csrf_of, open_shop, sign_in


@pytest.mark.parametrize(
    ("chosen", "accept_language", "expected"),
    [
        ("fr", "en-US,en;q=0.9", "fr"),  # the person's own choice wins over the browser's
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"),  # the first one we speak, by preference
        (None, "en;q=0.2,fr;q=0.8", "fr"),  # by weight, not by position
        (None, "fr;q=0,en", "en"),  # q=0 means "not this one"
        (None, "de-DE", "en"),  # none we speak: English
        (None, None, "en"),
        ("xx", "fr", "fr"),  # a cookie with a language we do not speak is ignored
        (None, "fr;q=abc, *", "en"),  # a malformed weight counts as "not wanted"
        (None, "fr," * 400, "en"),  # an absurdly long header is not parsed
    ],
)
def test_the_language_is_the_persons_choice_else_the_browsers_else_english(
    chosen: str | None, accept_language: str | None, expected: str
) -> None:
    assert choose_language(chosen, accept_language) == expected


@pytest.mark.parametrize(
    ("saved", "chosen", "accept_language", "expected"),
    [
        ("en", "fr", "fr", "en"),  # a signed-in person's own setting wins
        (None, None, "fr", "fr"),  # none: the browser's
        (None, "en", "fr", "en"),  # none: this browser's switch, then the browser's
        ("xx", None, "fr", "fr"),  # a setting we do not speak is ignored
    ],
)
def test_a_signed_in_persons_own_language_comes_first(
    saved: str | None, chosen: str | None, accept_language: str, expected: str
) -> None:
    assert choose_language(chosen, accept_language, saved=saved) == expected


def test_accepted_languages_keep_the_order_of_preference() -> None:
    assert accepted_languages("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == ["fr", "fr", "en", "de"]


def test_the_switch_remembers_the_choice_and_comes_back_to_the_same_page(site: Site) -> None:
    # given a visitor whose browser asks for English
    english = {"Accept-Language": "en"}
    assert 'lang="en"' in site.client.get("/sign-in", headers=english).text
    # when they press "Français" on the sign-in page
    token = csrf_of(site.client.get("/sign-in?next=/merchant").text)
    response = site.client.post(
        "/language/fr", data={"csrf_token": token, "next": "/sign-in?next=/merchant"}, follow_redirects=False
    )
    # then they come back to the same page, and it speaks French from then on
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/merchant"
    page = site.client.get("/sign-in", headers=english)
    assert '<html lang="fr">' in page.text and "Se connecter" in page.text
    assert page.headers["content-language"] == "fr"


def test_the_switch_never_leads_to_another_site_nor_sets_a_language_we_do_not_speak(site: Site) -> None:
    response = site.client.get("/language/xx?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/" and "set-cookie" not in response.headers


def test_every_page_has_the_switch_and_skip_link_and_sends_the_pages_policy(site: Site) -> None:
    page = site.client.get("/sign-in")
    assert 'action="/language/fr"' in page.text and 'name="next" value="/sign-in"' in page.text
    assert 'href="#main"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_static_files_are_cached_vendored_ones_for_a_week(site: Site) -> None:
    # when the page's htmx and stylesheet are asked for
    htmx = site.client.get("/static/vendor/htmx/htmx.min.js")
    css = site.client.get("/static/pages.css")
    # then htmx is kept a week, and our own stylesheet is checked again each time (a 304 while unchanged)
    assert htmx.status_code == 200 and htmx.headers["cache-control"] == "public, max-age=604800"
    assert css.headers["cache-control"] == "no-cache" and "etag" in css.headers
    again = site.client.get("/static/pages.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304


def _merchant_signed_in(site: Site, email: str = "chef@boucherie.example") -> None:
    open_shop(site.api, BUTCHER)
    accounts.create_user(site.api.uow(), FAST_HASHER, email, PASSWORD, Role.MERCHANT, [BUTCHER])
    assert sign_in(site.client, email).status_code == 303


def _saved_locale(site: Site, email: str) -> str | None:
    with site.api.uow() as uow:
        user = uow.users.get_by_email(email)
        assert user is not None
        return user.locale


def test_the_switch_is_kept_in_a_signed_in_persons_account_and_follows_them_to_another_browser(site: Site) -> None:
    # given a merchant signed in, whose browser asks for English
    english = {"Accept-Language": "en"}
    _merchant_signed_in(site)
    assert _saved_locale(site, "chef@boucherie.example") is None
    # when they press "Français"
    token = csrf_of(site.client.get("/merchant").text)
    site.client.post("/language/fr", data={"csrf_token": token, "next": "/merchant"}, follow_redirects=False)
    # then their account keeps French
    assert _saved_locale(site, "chef@boucherie.example") == "fr"
    # and in another browser (no cookie of this one), once signed in, their pages speak French
    site.client.cookies.clear()
    assert sign_in(site.client, "chef@boucherie.example").status_code == 303
    page = site.client.get("/merchant", headers=english)
    assert page.headers["content-language"] == "fr"


def test_a_signed_in_persons_own_language_wins_over_this_browsers_cookie_and_its_language(site: Site) -> None:
    # given a merchant whose account says English, in a browser whose cookie and header say French
    _merchant_signed_in(site)
    with site.api.uow() as uow:
        user = uow.users.get_by_email("chef@boucherie.example")
        assert user is not None
        user_id = user.id
    accounts.update_me(site.api.uow(), user_id, locale="en")
    site.client.cookies.set("comptoir_lang", "fr")
    # when they open the counter screen
    page = site.client.get("/merchant", headers={"Accept-Language": "fr"})
    # then it speaks English
    assert page.headers["content-language"] == "en"


def test_without_a_language_of_their_own_a_signed_in_persons_pages_follow_the_browser(site: Site) -> None:
    _merchant_signed_in(site)
    assert site.client.get("/merchant", headers={"Accept-Language": "fr-FR"}).headers["content-language"] == "fr"
    assert site.client.get("/merchant", headers={"Accept-Language": "en-GB"}).headers["content-language"] == "en"


def test_a_visitor_who_is_not_signed_in_changes_nobodys_account(site: Site) -> None:
    open_shop(site.api, BUTCHER)
    accounts.create_user(site.api.uow(), FAST_HASHER, "chef@boucherie.example", PASSWORD, Role.MERCHANT, [BUTCHER])
    site.client.get("/language/en?next=/sign-in", follow_redirects=False)
    assert _saved_locale(site, "chef@boucherie.example") is None


def test_a_link_to_the_switch_changes_this_browser_only_never_the_account(site: Site) -> None:
    # given a merchant signed in
    _merchant_signed_in(site)
    # when a link from anywhere (another site, an e-mail) is followed to the switch
    response = site.client.get("/language/fr?next=/merchant", follow_redirects=False)
    # then this browser speaks French, and their account is as it was
    assert response.status_code == 303 and "comptoir_lang=fr" in response.headers["set-cookie"]
    assert _saved_locale(site, "chef@boucherie.example") is None


def test_the_switch_posted_without_this_sessions_token_is_refused(site: Site) -> None:
    # given a merchant signed in
    _merchant_signed_in(site)
    # when another site makes their browser post the switch (it cannot read the token)
    response = site.client.post("/language/fr", data={"next": "/merchant"}, follow_redirects=False)
    # then it is refused, and nothing changed
    assert response.status_code == 403
    assert _saved_locale(site, "chef@boucherie.example") is None
