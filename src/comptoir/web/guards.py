"""What stands in front of the pages: the CSRF check on every form, and the signed-in person.

CSRF is a signed double-submit token: each session (even before sign-in) holds a random secret in
its signed, HttpOnly cookie; forms send it back in a hidden `csrf_token` field and htmx in the
`X-CSRF-Token` header (the layout sets `hx-headers` on <body>). A cross-site page can neither read
the secret nor forge the cookie's signature, so a post it makes carries no matching token and is
refused with a 403 page that says what to do. Our own code rather than a library: the check is a
comparison with the session the pages already have, applied to the page routers only (the JSON API
is authenticated by Bearer tokens, which a browser never sends on its own).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from comptoir.api.deps import Uow
from comptoir.domain.actors import Actor
from comptoir.domain.errors import NotFound
from comptoir.services import accounts
from comptoir.web.rendering import here, redirect, render, session_slot, with_next
from comptoir.web.sessions import PageSession

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Exception):
    """A form came back without the token of this browser's session."""


class SignInRequired(Exception):
    """The page needs someone signed in; they go to the sign-in page and come back after."""


async def csrf_protected(request: Request) -> None:
    """Router dependency: an unsafe request must carry this session's token (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent_value = (await request.form()).get(CSRF_FIELD)
        sent = sent_value if isinstance(sent_value, str) else None
    expected = session_slot(request).session.csrf
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused


async def signed_in_actor(request: Request, uow: Uow) -> Actor:
    """The person signed in on this browser, with their role and shops as they are now."""
    slot = session_slot(request)
    user_id = slot.session.user_id
    if user_id is None:
        raise SignInRequired
    try:
        user = await run_in_threadpool(accounts.me, uow, user_id)
    except NotFound:
        slot.replace(PageSession.anonymous(slot.now))  # the account is gone: so is its session
        raise SignInRequired from None
    request.state.saved_language = user.locale  # the page speaks the person's own language (rendering)
    return Actor(user_id=user.id, email=user.email, role=user.role, shop_ids=user.shop_ids)


SignedIn = Annotated[Actor, Depends(signed_in_actor)]


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(SignInRequired, _sign_in_required)


async def _csrf_refused(request: Request, _: Exception) -> Response:
    response = render(request, "form_expired.html", status_code=403)
    session_slot(request).leave_cookie_alone()
    return response


async def _sign_in_required(request: Request, _: Exception) -> Response:
    return redirect(request, with_next("/sign-in", here(request)) if request.method in SAFE_METHODS else "/sign-in")
