"""Shop set-up: an admin creates shops and binds merchants to them; merchants edit their own shop.

A merchant who is not bound to a shop is told it does not exist (NotFound), as for orders: the
answer does not reveal which shops there are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import Conflict, Forbidden, NotFound
from comptoir.domain.shop_settings import ShopSettings, check_slug, invalid
from comptoir.records.shop import Shop
from comptoir.services.accounts import normalise_email
from comptoir.services.ports import UnitOfWork

SETTING_NAMES = tuple(f.name for f in fields(ShopSettings))


@dataclass(frozen=True, slots=True)
class ShopSetup:
    id: int
    slug: str
    settings: ShopSettings
    merchant_emails: tuple[str, ...] = ()

    @classmethod
    def of(cls, shop: Shop) -> ShopSetup:
        settings = ShopSettings(**{name: getattr(shop, name) for name in SETTING_NAMES})
        return cls(shop.id, shop.slug, settings, tuple(sorted(user.email for user in shop.merchants)))


def create_shop(uow: UnitOfWork, slug: str, settings: ShopSettings) -> ShopSetup:
    """A new shop (the CLI's and the admin page's door); its slug is taken for good."""
    slug = check_slug(slug.strip())
    settings = settings.checked()
    with uow:
        if uow.shops.get_by_slug(slug) is not None:
            raise Conflict(f"a shop already has the slug {slug!r}", code="slug_taken", fields={"slug": "taken"})
        shop = uow.shops.add(Shop(slug=slug, **{name: getattr(settings, name) for name in SETTING_NAMES}))
        view = ShopSetup.of(shop)
        uow.commit()
    return view


def shop_for_editing(uow: UnitOfWork, actor: Actor, shop_id: int) -> ShopSetup:
    with uow:
        return ShopSetup.of(_editable(uow, actor, shop_id))


def shops_of_actor(uow: UnitOfWork, actor: Actor) -> list[ShopSetup]:
    """The shops the actor may set up: every shop for an admin, their own for a merchant."""
    with uow:
        if actor.role is Role.ADMIN:
            return [ShopSetup.of(shop) for shop in uow.shops.list()]
        if actor.role is not Role.MERCHANT:
            raise Forbidden("only a shop's merchants set it up", code="merchant_only")
        return [ShopSetup.of(shop) for shop in uow.shops.list() if shop.id in actor.shop_ids]


def update_shop_settings(uow: UnitOfWork, actor: Actor, shop_id: int, settings: ShopSettings) -> ShopSetup:
    """Replace the shop's settings. Payments already asked for keep what they were asked with
    (their attempt row holds the name and capture mode they were created under). The currency
    stays: every price and order of the shop is in it."""
    settings = settings.checked()
    with uow:
        shop = _editable(uow, actor, shop_id)
        if settings.currency != shop.currency:
            raise invalid({"currency": "fixed"}, f"the shop's prices are in {shop.currency}; its currency stays")
        for name in SETTING_NAMES:
            setattr(shop, name, getattr(settings, name))
        view = ShopSetup.of(shop)
        uow.commit()
    return view


def bind_merchant(uow: UnitOfWork, actor: Actor, shop_id: int, email: str) -> ShopSetup:
    """Admins only: the merchant account `email` also manages this shop (idempotent)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin binds merchants to shops", code="admin_only")
    email = normalise_email(email)
    with uow:
        shop = _editable(uow, actor, shop_id)
        user = uow.users.get_by_email(email)
        if user is None or user.role != Role.MERCHANT.value:
            raise NotFound(f"no merchant account for {email}", code="merchant_not_found", fields={"email": "unknown"})
        uow.shops.add_merchant(shop.id, user.id)
        view = ShopSetup.of(shop)
        uow.commit()
    return view


def _editable(uow: UnitOfWork, actor: Actor, shop_id: int) -> Shop:
    shop = uow.shops.get(shop_id)
    if shop is None or not actor.is_merchant_of(shop_id):
        raise NotFound(f"no shop {shop_id}", code="shop_not_found")
    return shop
