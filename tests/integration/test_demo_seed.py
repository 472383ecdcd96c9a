"""The demo seed behind `make demo`: the seed documents' shops and logins, and idempotent."""

from __future__ import annotations

from decimal import Decimal

from factories import ADDRESS, NOW, FakeHasher
from sqlalchemy import select

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Actor, Role
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.records.shop import Product, ShopMerchant, User
from comptoir.services.catalog import list_products, list_shops
from comptoir.services.demo import seed_demo
from comptoir.services.orders.ordering import LineRequest, PlaceOrder, place_order


def _snapshot(uows: SqlUnitOfWorkFactory) -> tuple[object, ...]:
    with uows() as uow:
        return (
            list_shops(uows()),
            [(p.id, p.name, p.unit_price, p.stock_milli, p.active) for p in uow.session.scalars(select(Product))],
            [(u.id, u.email, u.password_hash, u.role) for u in uow.session.scalars(select(User))],
            sorted((m.shop_id, m.user_id) for m in uow.session.scalars(select(ShopMerchant))),
        )


def test_seeding_twice_changes_nothing(uows: SqlUnitOfWorkFactory) -> None:
    # given a database seeded once
    first = seed_demo(uows(), FakeHasher())
    before = _snapshot(uows)

    # when it is seeded again
    second = seed_demo(uows(), FakeHasher())

    # then nothing was created the second time and every row is as it was
    assert first.changed and not second.changed
    assert second.shops_existing == first.shops_created
    assert second.products_existing == first.products_created
    assert second.users_existing == first.users_created
    assert _snapshot(uows) == before


def test_the_demo_has_both_seed_shops_their_merchants_and_the_seed_000_customer(uows: SqlUnitOfWorkFactory) -> None:
    # given the demo seed
    hasher = FakeHasher()
    seed_demo(uows(), hasher)

    # then the Porsche shop delivers and takes online payment; Klik&Go is pickup, online or at pickup
    shops = {s.slug: s for s in list_shops(uows())}
    porsche, butcher = shops["porsche-accessories"], shops["klikandgo"]
    assert (porsche.name, porsche.currency) == ("Porsche accessories", "EUR")
    assert porsche.payment_methods == (PaymentMethod.ONLINE,)
    assert porsche.offers_delivery and not porsche.offers_pickup
    assert butcher.payment_methods == (PaymentMethod.ONLINE, PaymentMethod.ON_PICKUP)
    assert butcher.offers_pickup and not butcher.offers_delivery
    meat = {p.name: p for p in list_products(uows(), "klikandgo")}
    assert (meat["Entrecôte"].unit, meat["Entrecôte"].unit_price) == (Unit.KG, 3290)
    assert Unit.PIECE in {p.unit for p in meat.values()}

    # and the logins exist with their passwords and shops
    with uows() as uow:
        client = uow.users.get_by_email("client@example.com")
        porsche_merchant = uow.users.get_by_email("porsche@example.com")
        boucher = uow.users.get_by_email("boucher@example.com")
        admin = uow.users.get_by_email("admin@example.com")
        assert client is not None and porsche_merchant is not None and boucher is not None and admin is not None
        assert hasher.verify(client.password_hash, "motdepasse123")
        assert hasher.verify(admin.password_hash, "admin123") and admin.role == "admin"
        assert uow.users.shop_ids(porsche_merchant.id) == {porsche.id}
        assert uow.users.shop_ids(boucher.id) == {butcher.id}
        customer = Actor(client.id, client.email, Role.CUSTOMER)

    # and the seed 000 walkthrough totals 1250.00
    wheels = {p.unit_price: p for p in list_products(uows(), "porsche-accessories")}
    command = PlaceOrder(
        "porsche-accessories",
        [LineRequest(wheels[25000].id, 2, 25000), LineRequest(wheels[75000].id, 1, 75000)],
        "online",
        ADDRESS,
    )
    order = place_order(uows(), customer, command, NOW)
    assert order.total == 125000
    assert wheels[25000].stock >= Decimal(2)
