"""Accounts over HTTP: register, log in, who am I, and one's own phone and language."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from comptoir import wording
from comptoir.api.deps import CurrentActor, Door, Hasher, Tokens, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import AuthOut, LoginIn, MePatch, RegisterIn, UserOut
from comptoir.services import accounts

router = APIRouter(tags=["accounts"])


@router.post(
    "/api/auth/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer account and log in",
    description=(
        "`phone` and `locale` are optional. Without `locale`, the request's `Accept-Language` sets it when it "
        "names French or English; otherwise none is kept and e-mails use the shop's default language. "
        "422 `invalid_phone`, `invalid_locale`; 409 `email_taken`."
    ),
    responses=responses(409, 422, 429),
)
def register(body: RegisterIn, request: Request, uow: Uow, hasher: Hasher, tokens: Tokens, door: Door) -> AuthOut:
    locale = body.locale or wording.browser_language(request.headers.get("accept-language"))
    session = accounts.sign_up(
        uow, hasher, tokens, door, body.email, body.password, body.name, phone=body.phone, locale=locale
    )
    return AuthOut.of(session)


@router.post(
    "/api/auth/login",
    summary="Exchange email and password for an access token",
    description="Failed logins are limited per account and per client address: then 429 with `Retry-After`.",
    responses=responses(401, 422, 429),
)
def login(body: LoginIn, uow: Uow, hasher: Hasher, tokens: Tokens, door: Door) -> AuthOut:
    return AuthOut.of(accounts.log_in(uow, hasher, tokens, door, body.email, body.password))


@router.get("/api/me", summary="The account the access token belongs to", responses=responses(401))
def me(actor: CurrentActor, uow: Uow) -> UserOut:
    return UserOut.of(accounts.me(uow, actor.user_id))


@router.patch(
    "/api/me",
    summary="Change your phone number and your language",
    description=(
        "Only the fields sent change; `null` removes one. 422 `invalid_phone` or `invalid_locale`, and then "
        "nothing changes."
    ),
    responses=responses(401, 422),
)
def update_me(body: MePatch, actor: CurrentActor, uow: Uow) -> UserOut:
    sent = body.model_fields_set
    view = accounts.update_me(
        uow,
        actor.user_id,
        phone=body.phone if "phone" in sent else accounts.KEEP,
        locale=body.locale if "locale" in sent else accounts.KEEP,
    )
    return UserOut.of(view)
