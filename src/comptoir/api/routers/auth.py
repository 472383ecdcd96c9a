"""Accounts over HTTP: register, log in, who am I."""

from __future__ import annotations

from fastapi import APIRouter, status

from comptoir.api.deps import CurrentActor, Door, Hasher, Tokens, Uow
from comptoir.api.problems_doc import responses
from comptoir.api.schemas import AuthOut, LoginIn, RegisterIn, UserOut
from comptoir.services import accounts

router = APIRouter(tags=["accounts"])


@router.post(
    "/api/auth/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create a customer account and log in",
    responses=responses(409, 422, 429),
)
def register(body: RegisterIn, uow: Uow, hasher: Hasher, tokens: Tokens, door: Door) -> AuthOut:
    return AuthOut.of(accounts.sign_up(uow, hasher, tokens, door, body.email, body.password, body.name))


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
