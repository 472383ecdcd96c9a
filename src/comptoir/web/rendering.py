"""The page helper every screen uses (counter, storefront, checkout landings): one Jinja2 environment with
the i18n extension and Babel's filters, and `render()` / `redirect()` that speak the visitor's language.

`render()` gives each template what the layout needs: the language and the switch, the CSRF token
for its forms (and for htmx, through `hx-headers` on <body>), who is signed in, and the messages to
show once. Templates translate with `{% trans %}` / `_()`; the translation is the request's, set
in a context variable for the time of the render (Starlette renders in the response's constructor),
so concurrent requests in different languages never see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from comptoir.web import i18n
from comptoir.web.flashes import FLASHES
from comptoir.web.history_words import reason_words
from comptoir.web.sessions import SessionSlot
from comptoir.web.status_words import ORDER_STATUS_WORDS, PAYMENT_STATUS_WORDS

LANGUAGE_COOKIE = "comptoir_lang"
TEMPLATES = Path(__file__).parent / "templates"
_translations: ContextVar[NullTranslations | None] = ContextVar("page_translations", default=None)
_SOURCE_TEXT = NullTranslations()


def _current() -> NullTranslations:
    return _translations.get() or _SOURCE_TEXT


def _gettext(message: str) -> str:
    return _current().gettext(message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _current().ngettext(singular, plural, count)


def _pgettext(context: str, message: str) -> str:
    return str(_current().pgettext(context, message))


@contextmanager
def speaking(language: str) -> Iterator[None]:
    token = _translations.set(i18n.translations(language))
    try:
        yield
    finally:
        _translations.reset(token)


templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), extensions=["jinja2.ext.i18n"])
)
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, newstyle=True
)
templates.env.globals["order_words"] = ORDER_STATUS_WORDS
templates.env.globals["payment_words"] = PAYMENT_STATUS_WORDS
templates.env.globals["history_reason"] = reason_words


def session_slot(request: Request) -> SessionSlot:
    slot: SessionSlot = request.state.page_session
    return slot


def language_of(request: Request) -> str:
    """The signed-in person's own language (their account's, read by `guards.signed_in_actor`), else the
    switch's cookie, else the browser's."""
    return i18n.choose_language(
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        saved=getattr(request.state, "saved_language", None),
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    zone: tzinfo | None = None,
) -> HTMLResponse:
    """The page `template` in the visitor's language, with what the layout needs; times in `zone`
    (the shop's, where the page is about one) else the configured one."""
    slot = session_slot(request)
    language = language_of(request)
    fmt = i18n.Formats(language, zone or request.app.state.settings.time_zone_info)
    with speaking(language):
        page = {
            "language": language,
            "languages": list(i18n.languages_offered()),
            "here": here(request),
            "csrf_token": slot.session.csrf,
            "signed_in": slot.session.user_id is not None,
            "flashes": [_gettext(FLASHES[flash]) for flash in slot.take_flashes() if flash in FLASHES],
            "fmt": fmt,
            **(context or {}),
        }
        response = templates.TemplateResponse(request, template, page, status_code=status_code)
    response.headers["content-language"] = language
    response.headers["cache-control"] = "no-store"
    response.headers["vary"] = "Cookie, Accept-Language"
    return response


def redirect(request: Request, to: str) -> Response:
    """See other page (303 after a form); to htmx, which would follow it inside the page, `HX-Redirect`."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"hx-redirect": to})
    return RedirectResponse(to, status_code=303)


def here(request: Request) -> str:
    """This page's path and query, to come back to after the language switch or the sign-in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def local_path(candidate: str | None, default: str) -> str:
    """`candidate` if it is a path on this site, else `default`: a `next=` never leads elsewhere."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")) or len(candidate) > 2000:
        return default
    if any(ord(char) < 32 for char in candidate):
        return default
    return candidate


def with_next(path: str, next_path: str) -> str:
    return f"{path}?next={quote(next_path, safe='/')}"
