"""Accounts: sign-up, log-in, who am I (and the phone and language a person keeps there), and the
CLI's user creation.

Password hashing is slow on purpose (argon2id), so it never runs while a transaction is
open: on SQLite every transaction holds the write lock, and a login must not stall orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from comptoir import wording
from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from comptoir.domain.phone import normalise_phone
from comptoir.records.shop import User
from comptoir.services.login_guard import LoginGuard
from comptoir.services.ports import PasswordHasher, UnitOfWork
from comptoir.services.tokens import IssuedToken, RehashingHasher, TokenClaims, TokenIssuer
from comptoir.services.views import UserView

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class AuthSession:
    """What a successful sign-up or log-in hands back: a token and the user it names."""

    token: IssuedToken
    user: UserView


def normalise_email(email: str) -> str:
    normalised = email.strip().lower()
    if len(normalised) > 254 or not _EMAIL.match(normalised):
        raise InvalidInput(f"{email!r} is not an email address", code="invalid_email")
    return normalised


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"passwords need at least {MIN_PASSWORD_LENGTH} characters", code="password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"passwords have at most {MAX_PASSWORD_LENGTH} characters", code="password_too_long")


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""For `update_me`: leave this field as it is."""


def phone_or_none(written: str | None) -> str | None:
    """A phone number as stored (`domain.phone`); None or blank means no phone."""
    if written is None or not written.strip():
        return None
    return normalise_phone(written)


def check_locale(locale: str | None) -> str | None:
    """A person's language: one comptoir speaks, or None (the shop's default); else `invalid_locale`."""
    if locale is not None and wording.spoken(locale) is None:
        raise InvalidInput(f"the language is one of {', '.join(wording.LANGUAGES)}, or none", code="invalid_locale")
    return locale


def register(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    email: str,
    password: str,
    name: str,
    *,
    phone: str | None = None,
    locale: str | None = None,
) -> UserView:
    """Create a customer account (merchants and admins are created with the CLI), with the phone the
    shop may call and the language of their pages and e-mails when they give them."""
    email = normalise_email(email)
    check_password(password)
    phone = phone_or_none(phone)
    locale = check_locale(locale)
    password_hash = hasher.hash(password)
    with uow:
        if uow.users.get_by_email(email) is not None:
            raise Conflict(f"an account already exists for {email}", code="email_taken")
        user = uow.users.add(
            User(
                email=email,
                password_hash=password_hash,
                name=name.strip(),
                role=Role.CUSTOMER.value,
                phone=phone,
                locale=locale,
            )
        )
        view = UserView.of(user, frozenset())
        uow.commit()
    return view


def authenticate(uow: UnitOfWork, hasher: PasswordHasher, email: str, password: str) -> UserView:
    """The user whose email and password these are.

    An unknown email and a wrong password give the same error after about the same time
    (an unknown email still pays for one hash), so the answer does not reveal who has an account.
    """
    with uow:
        user = uow.users.get_by_email(email.strip().lower())
        found = (user.id, user.password_hash) if user is not None else None
    if found is None:
        hasher.hash(password)
        raise _invalid_credentials()
    user_id, stored_hash = found
    if not hasher.verify(stored_hash, password):
        raise _invalid_credentials()
    new_hash = (
        hasher.hash(password) if isinstance(hasher, RehashingHasher) and hasher.needs_rehash(stored_hash) else None
    )
    with uow:
        user = uow.users.get(user_id)
        if user is None:
            raise _invalid_credentials()
        if new_hash is not None:
            user.password_hash = new_hash
        view = UserView.of(user, uow.users.shop_ids(user.id))
        uow.commit()
    return view


@dataclass(frozen=True, slots=True)
class Door:
    """Who is knocking, for the limits on failed logins and registrations: the guard and the client's address."""

    guard: LoginGuard
    address: str


def sign_up(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    door: Door,
    email: str,
    password: str,
    name: str,
    *,
    phone: str | None = None,
    locale: str | None = None,
) -> AuthSession:
    """Register a customer and log them in at once (too many registrations from one address are refused)."""
    door.guard.admit_registration(door.address)
    user = register(uow, hasher, email, password, name, phone=phone, locale=locale)
    return AuthSession(token=tokens.issue(user.id, user.role), user=user)


def log_in(
    uow: UnitOfWork, hasher: PasswordHasher, tokens: TokenIssuer, door: Door, email: str, password: str
) -> AuthSession:
    """Check the password, unless this account or address failed too often: then refuse, even the right one."""
    door.guard.check_login(email, door.address)
    try:
        user = authenticate(uow, hasher, email, password)
    except Unauthenticated:
        door.guard.login_failed(email, door.address)
        raise
    door.guard.login_succeeded(email)
    return AuthSession(token=tokens.issue(user.id, user.role), user=user)


def me(uow: UnitOfWork, user_id: int) -> UserView:
    with uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        return UserView.of(user, uow.users.shop_ids(user.id))


def update_me(
    uow: UnitOfWork, user_id: int, *, phone: str | _Keep | None = KEEP, locale: str | _Keep | None = KEEP
) -> UserView:
    """Change one's own phone and language (None removes them); a field left at KEEP is not touched.
    Both are checked before anything is written (`invalid_phone`, `invalid_locale`)."""
    new_phone = phone if isinstance(phone, _Keep) else phone_or_none(phone)
    new_locale = locale if isinstance(locale, _Keep) else check_locale(locale)
    with uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        if not isinstance(new_phone, _Keep):
            user.phone = new_phone
        if not isinstance(new_locale, _Keep):
            user.locale = new_locale
        view = UserView.of(user, uow.users.shop_ids(user.id))
        uow.commit()
    return view


def actor_for(uow: UnitOfWork, claims: TokenClaims) -> Actor:
    """The Actor a verified token speaks for, with role and shops as they are now in the database.

    A token outlives changes to its user; reading them here means a removed merchant loses
    their shops at once and a deleted account stops working, without revoking tokens.
    """
    with uow:
        user = uow.users.get(claims.user_id)
        if user is None:
            raise Unauthenticated("The account this token was issued for no longer exists", code="user_not_found")
        return Actor(user_id=user.id, email=user.email, role=Role(user.role), shop_ids=uow.users.shop_ids(user.id))


def create_user(
    uow: UnitOfWork,
    hasher: PasswordHasher,
    email: str,
    password: str,
    role: Role,
    shop_slugs: Sequence[str] = (),
    *,
    name: str = "",
) -> UserView:
    """Create any kind of account (the CLI's door for merchants and admins).

    A merchant is bound to at least one shop; other roles are bound to none.
    """
    email = normalise_email(email)
    check_password(password)
    slugs = list(dict.fromkeys(slug.strip() for slug in shop_slugs))
    if role is Role.MERCHANT and not slugs:
        raise InvalidInput("a merchant must be bound to at least one shop (--shop SLUG)", code="shop_required")
    if role is not Role.MERCHANT and slugs:
        raise InvalidInput(f"only merchants are bound to shops, not a {role.value}", code="shops_not_allowed")
    password_hash = hasher.hash(password)
    with uow:
        if uow.users.get_by_email(email) is not None:
            raise Conflict(f"an account already exists for {email}", code="email_taken")
        shops = []
        for slug in slugs:
            shop = uow.shops.get_by_slug(slug)
            if shop is None:
                raise NotFound(f"no shop has the slug {slug!r}", code="shop_not_found")
            shops.append(shop)
        user = uow.users.add(User(email=email, password_hash=password_hash, name=name.strip(), role=role.value))
        for shop in shops:
            uow.shops.add_merchant(shop.id, user.id)
        view = UserView.of(user, frozenset(shop.id for shop in shops))
        uow.commit()
    return view


def registered_emails(uow: UnitOfWork, emails: Iterable[str]) -> frozenset[str]:
    """Which of these emails have an account (the CLI shows demo logins only if they exist)."""
    with uow:
        return frozenset(email for email in emails if uow.users.get_by_email(email) is not None)


def _invalid_credentials() -> Unauthenticated:
    return Unauthenticated("The email or the password is wrong", code="invalid_credentials")
