"""Signing in and out of the pages, and the language switch. Each route parses, calls one service, maps."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from comptoir.api.deps import Door, Hasher, Tokens, Uow
from comptoir.domain.errors import NotFound, TooManyAttempts, Unauthenticated
from comptoir.services import accounts
from comptoir.web import flashes, i18n
from comptoir.web.guards import csrf_protected
from comptoir.web.rendering import LANGUAGE_COOKIE, local_path, redirect, render, session_slot
from comptoir.web.sessions import COOKIE as SESSION_COOKIE
from comptoir.web.sessions import PageSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60
MAX_EMAIL = 254
MAX_PASSWORD = accounts.MAX_PASSWORD_LENGTH
HOME = "/merchant"
"""Where a sign-in leads when no page asked for it: the counter screen (the storefront will add the customers')."""


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "") -> Response:
    return render(request, "sign_in.html", {"next": local_path(next, ""), "email": ""})


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    uow: Uow,
    hasher: Hasher,
    tokens: Tokens,
    door: Door,
    email: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"next": local_path(next, ""), "email": email}
    try:
        session = await run_in_threadpool(accounts.log_in, uow, hasher, tokens, door, email, password)
    except TooManyAttempts as exc:
        minutes = max(1, -(-int(exc.extra.get("retry_after", 60)) // 60))
        return render(request, "sign_in.html", {**form, "refused": "too_many", "minutes": minutes}, status_code=429)
    except Unauthenticated:
        return render(request, "sign_in.html", {**form, "refused": "wrong"}, status_code=401)
    slot = session_slot(request)
    slot.replace(slot.session.signed_in(session.user.id, slot.now))
    return redirect(request, local_path(next, HOME))


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    slot = session_slot(request)
    slot.replace(PageSession.anonymous(slot.now).with_flash(flashes.SIGNED_OUT))
    return redirect(request, "/sign-in")


@router.get("/language/{language}")
async def language_link(
    request: Request,
    language: str,
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> Response:
    """A link that switches this browser's language (a cookie), then back to the page. It changes no
    account: a link from anywhere may be followed, and a GET changes nothing but this browser."""
    return _switched(request, language, next)


@router.post("/language/{language}")
async def switch_language(
    request: Request,
    uow: Uow,
    language: str,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The switch on every page (a form, so CSRF-checked): remembered in a cookie for a year, then back
    to the same page. A signed-in person's account keeps it too, for their pages in any browser and for
    their e-mails."""
    # Only a browser with a session can be signed in (reading none would start one, and send its cookie).
    user_id = session_slot(request).session.user_id if SESSION_COOKIE in request.cookies else None
    if language in i18n.LANGUAGES and user_id is not None:
        with suppress(NotFound):  # the account is gone: the cookie still remembers the choice in this browser
            await run_in_threadpool(accounts.update_me, uow, user_id, locale=language)
    return _switched(request, language, next)


def _switched(request: Request, language: str, next_path: str) -> Response:
    response = redirect(request, local_path(next_path, "/"))
    if language in i18n.LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https" or request.app.state.settings.public_url.startswith("https:"),
        )
    return response
