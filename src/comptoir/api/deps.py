"""Request-scoped dependencies: what `create_app()` put on `app.state`, and the current Actor.

The ones that only read `app.state` are `async def`: FastAPI runs a plain `def` dependency in the
thread pool, one thread hop per dependency per request (the webhook route took four hops before
its own). Anything that touches the database stays `def` (or runs in the pool explicitly).

The Authorization header is read by hand (not with FastAPI's HTTPBearer, which answers every
mistake with the same 403) so that each 401 says exactly what is wrong — including the
classic "forgot the word Bearer" of the seed's Postman walkthrough.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from comptoir.api.lanes import DatabaseLane
from comptoir.config import Settings
from comptoir.domain.actors import Actor
from comptoir.domain.errors import Unauthenticated
from comptoir.services import accounts
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import Clock, PasswordHasher, UnitOfWork
from comptoir.services.tokens import TokenIssuer

_docs_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The access_token from POST /api/auth/login, sent as `Authorization: Bearer <token>`.",
)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.uow_factory()
    return uow


async def get_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


async def get_tokens(request: Request) -> TokenIssuer:
    tokens: TokenIssuer = request.app.state.tokens
    return tokens


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_door(request: Request) -> accounts.Door:
    """The login guard and the client's address: the connecting peer, or what a trusted proxy says it is
    (`COMPTOIR_TRUSTED_PROXIES`; `create_app()` rewrites the peer from X-Forwarded-For only for those)."""
    address = request.client.host if request.client is not None else "unknown"
    return accounts.Door(guard=request.app.state.login_guard, address=address)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or an Unauthenticated that explains."""
    if authorization is None or not authorization.strip():
        raise Unauthenticated(
            "Missing Authorization header: send 'Authorization: Bearer <token>' with the access_token "
            "from POST /api/auth/login",
            code="token_missing",
        )
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated(
            "Authorization header must be 'Bearer <token>' — the word Bearer is missing",
            code="bearer_missing",
        )
    token = rest.strip()
    if not token:
        raise Unauthenticated("Authorization header says Bearer but carries no token", code="token_missing")
    return token


def current_actor(
    request: Request,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    tokens: Annotated[TokenIssuer, Depends(get_tokens)],
    _docs: Annotated[HTTPAuthorizationCredentials | None, Depends(_docs_bearer)],
) -> Actor:
    claims = tokens.verify(bearer_token(request.headers.get("authorization")))
    return accounts.actor_for(uow, claims)


CurrentActor = Annotated[Actor, Depends(current_actor)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Hasher = Annotated[PasswordHasher, Depends(get_hasher)]
Tokens = Annotated[TokenIssuer, Depends(get_tokens)]
Now = Annotated[Clock, Depends(get_clock)]
Settings_ = Annotated[Settings, Depends(get_settings)]
Door = Annotated[accounts.Door, Depends(get_door)]


async def get_db_lane(request: Request) -> DatabaseLane:
    lane: DatabaseLane = request.app.state.db_lane
    return lane


async def get_gateway(request: Request) -> PaymentGateway:
    gateway: PaymentGateway = request.app.state.gateway
    return gateway


def get_payment_uow(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.uow_factory()
    return uow


async def _payment_uow(request: Request) -> UnitOfWork:
    return get_payment_uow(request)


Gateway = Annotated[PaymentGateway, Depends(get_gateway)]
DbLane = Annotated[DatabaseLane, Depends(get_db_lane)]
PaymentUow = Annotated[UnitOfWork, Depends(_payment_uow)]
