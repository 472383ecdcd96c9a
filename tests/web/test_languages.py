"""Which language a page speaks, the switch on every page, and the pages' static files."""

from __future__ import annotations

import pytest

from comptoir.web.i18n import accepted_languages, choose_language
from tests.web.support import Site


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


def test_accepted_languages_keep_the_order_of_preference() -> None:
    assert accepted_languages("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == ["fr", "fr", "en", "de"]


def test_the_switch_remembers_the_choice_and_comes_back_to_the_same_page(site: Site) -> None:
    # given a visitor whose browser asks for English
    english = {"Accept-Language": "en"}
    assert 'lang="en"' in site.client.get("/sign-in", headers=english).text
    # when they press "Français" on the sign-in page
    response = site.client.get("/language/fr?next=/sign-in%3Fnext%3D/merchant", follow_redirects=False)
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
    assert 'href="/language/fr?next=/sign-in"' in page.text and 'href="#main"' in page.text
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
