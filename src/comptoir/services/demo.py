"""The demo catalog and logins behind `make demo`, idempotent: a second run changes nothing.

Two shops from the seed documents: "Porsche accessories" (delivery, online payment; the seed 000
walkthrough of 2 x 250.00 + 1 x 750.00 totals 1250.00) and the Klik&Go butcher (pickup, online
or at pickup, meat by the kg). Existing rows are found by slug, (shop, name) and email and left
untouched, so stock sold and passwords changed in a demo survive a re-seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.domain.errors import NotFound
from comptoir.domain.money import quantity_to_milli
from comptoir.records.shop import Product, Shop, User
from comptoir.services.orders import ordering
from comptoir.services.ports import PasswordHasher, UnitOfWork
from comptoir.services.views import OrderView


@dataclass(frozen=True, slots=True)
class DemoShop:
    slug: str
    name: str
    currency: str
    accepts_online: bool
    accepts_on_pickup: bool
    offers_delivery: bool
    offers_pickup: bool


@dataclass(frozen=True, slots=True)
class DemoProduct:
    shop: str
    name: str
    unit: Unit
    unit_price: int
    stock: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    password: str
    name: str
    role: Role
    shops: tuple[str, ...] = ()


PORSCHE = "porsche-accessories"
KLIKANDGO = "klikandgo"

SHOPS = (
    DemoShop(PORSCHE, "Porsche accessories", "EUR", True, False, True, False),
    DemoShop(KLIKANDGO, "Klik&Go — Boucherie", "EUR", True, True, False, True),
)

PRODUCTS = (
    DemoProduct(PORSCHE, "Jantes 911 Turbo", Unit.PIECE, 25000, "100", "Jante alliage 20 pouces, la pièce."),
    DemoProduct(PORSCHE, "Becquet carbone", Unit.PIECE, 75000, "20", "Becquet arrière en fibre de carbone."),
    DemoProduct(PORSCHE, "Housse de protection intérieure", Unit.PIECE, 18900, "40"),
    DemoProduct(PORSCHE, "Porte-clés écusson", Unit.PIECE, 2900, "200"),
    DemoProduct(KLIKANDGO, "Entrecôte", Unit.KG, 3290, "25", "Race charolaise, maturée 21 jours."),
    DemoProduct(KLIKANDGO, "Côte de bœuf", Unit.KG, 3850, "15"),
    DemoProduct(KLIKANDGO, "Merguez", Unit.KG, 1690, "12"),
    DemoProduct(KLIKANDGO, "Poulet fermier", Unit.PIECE, 1490, "10", "Label rouge, environ 1,6 kg."),
    DemoProduct(KLIKANDGO, "Terrine de campagne", Unit.PIECE, 690, "30", "Pot de 250 g."),
)

USERS = (
    DemoUser("client@example.com", "motdepasse123", "Client démo", Role.CUSTOMER),
    DemoUser("porsche@example.com", "merchant123", "Marchand Porsche", Role.MERCHANT, (PORSCHE,)),
    DemoUser("boucher@example.com", "merchant123", "Boucher Klik&Go", Role.MERCHANT, (KLIKANDGO,)),
    DemoUser("admin@example.com", "admin123", "Admin démo", Role.ADMIN),
)


@dataclass(slots=True)
class DemoSummary:
    """What a seeding run did, for the CLI to print (names, not counts, so a reader can check)."""

    shops_created: list[str] = field(default_factory=list)
    shops_existing: list[str] = field(default_factory=list)
    products_created: list[str] = field(default_factory=list)
    products_existing: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.shops_created or self.products_created or self.users_created)


DEMO_LOGINS: tuple[tuple[str, str, Role], ...] = tuple((u.email, u.password, u.role) for u in USERS)
"""(email, password, role) of every demo account, for `make demo` to print."""


def seed_demo(uow: UnitOfWork, hasher: PasswordHasher) -> DemoSummary:
    summary = DemoSummary()
    with uow:
        shops = {spec.slug: _ensure_shop(uow, spec, summary) for spec in SHOPS}
        for product in PRODUCTS:
            _ensure_product(uow, shops[product.shop], product, summary)
        for user in USERS:
            _ensure_user(uow, hasher, user, shops, summary)
        uow.commit()
    return summary


def _ensure_shop(uow: UnitOfWork, spec: DemoShop, summary: DemoSummary) -> Shop:
    shop = uow.shops.get_by_slug(spec.slug)
    if shop is not None:
        summary.shops_existing.append(spec.slug)
        return shop
    shop = uow.shops.add(
        Shop(
            slug=spec.slug,
            name=spec.name,
            currency=spec.currency,
            accepts_online=spec.accepts_online,
            accepts_on_pickup=spec.accepts_on_pickup,
            offers_delivery=spec.offers_delivery,
            offers_pickup=spec.offers_pickup,
        )
    )
    summary.shops_created.append(spec.slug)
    return shop


def _ensure_product(uow: UnitOfWork, shop: Shop, spec: DemoProduct, summary: DemoSummary) -> None:
    label = f"{shop.slug}/{spec.name}"
    if uow.products.get_by_name(shop.id, spec.name) is not None:
        summary.products_existing.append(label)
        return
    uow.products.add(
        Product(
            shop_id=shop.id,
            name=spec.name,
            description=spec.description,
            unit=spec.unit.value,
            unit_price=spec.unit_price,
            stock_milli=quantity_to_milli(spec.stock),
            active=True,
        )
    )
    summary.products_created.append(label)


def _ensure_user(
    uow: UnitOfWork, hasher: PasswordHasher, spec: DemoUser, shops: dict[str, Shop], summary: DemoSummary
) -> None:
    user = uow.users.get_by_email(spec.email)
    if user is None:
        user = uow.users.add(
            User(email=spec.email, password_hash=hasher.hash(spec.password), name=spec.name, role=spec.role.value)
        )
        summary.users_created.append(spec.email)
    else:
        summary.users_existing.append(spec.email)
    for slug in spec.shops:
        uow.shops.add_merchant(shops[slug].id, user.id)


DEMO_CUSTOMER = USERS[0].email
DEMO_ORDER_LINES = (("Entrecôte", "0.750"), ("Terrine de campagne", "1"))


def place_demo_order(uow: UnitOfWork, *, now: datetime, note: str = "demain 10h") -> OrderView:
    """The demo customer orders 0,750 kg of entrecôte and a terrine from the butcher, to collect and pay
    at the counter: the order the butcher's board rings for, without a storefront or curl. Placed
    like any order (priced from the database, stock held, the shop alerted)."""
    with uow:
        customer = uow.users.get_by_email(DEMO_CUSTOMER)
        shop = uow.shops.get_by_slug(KLIKANDGO)
        if customer is None or shop is None:
            raise NotFound("the demo shop and customer are missing: run `comptoir seed-demo` first", code="no_demo")
        products = {product.name: product.id for product in uow.products.list_for_shop(shop.id)}
        missing = [name for name, _ in DEMO_ORDER_LINES if name not in products]
        if missing:
            raise NotFound(f"the demo products {missing} are missing: run `comptoir seed-demo`", code="no_demo")
        actor = Actor(user_id=customer.id, email=customer.email, role=Role(customer.role))
    command = ordering.PlaceOrder(
        shop=KLIKANDGO,
        lines=[ordering.LineRequest(products[name], quantity) for name, quantity in DEMO_ORDER_LINES],
        payment_method=PaymentMethod.ON_PICKUP,
        pickup={"note": note},
    )
    return ordering.place_order(uow, actor, command, now)
