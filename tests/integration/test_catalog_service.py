"""Browsing the catalog, and who may create and edit products, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import add_product, add_shop, add_user

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Role
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.domain.errors import Forbidden, InvalidInput, NotFound
from comptoir.services.catalog import (
    NewProduct,
    ProductChanges,
    create_product,
    list_products,
    list_shops,
    update_product,
)


def test_shops_and_their_active_products_are_listed(uows: SqlUnitOfWorkFactory) -> None:
    # given a butcher with one active and one retired product
    butcher = add_shop(uows, slug="klikandgo", delivery=False, pickup=True, on_pickup=True)
    steak = add_product(uows, butcher, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock="2.5")
    add_product(uows, butcher, name="Boudin", active=False)

    # when anyone lists shops and products
    shops = list_shops(uows())
    products = list_products(uows(), "klikandgo")

    # then the shop says how it sells, and only the active product shows, with exact kg stock
    assert [(s.slug, s.payment_methods, s.offers_pickup, s.offers_delivery) for s in shops] == [
        ("klikandgo", (PaymentMethod.ONLINE, PaymentMethod.ON_PICKUP), True, False)
    ]
    assert products == [steak]
    assert products[0].stock == Decimal("2.500") and products[0].unit_price == 3290
    with pytest.raises(NotFound):
        list_products(uows(), "nowhere")


def test_only_the_shops_merchants_see_inactive_products(uows: SqlUnitOfWorkFactory) -> None:
    # given a shop with a retired product, its merchant, another merchant and a customer
    shop, other = add_shop(uows), add_shop(uows)
    add_product(uows, shop, name="Retired", active=False)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    stranger = add_user(uows, role=Role.MERCHANT, shops=[other])
    customer = add_user(uows)

    # when each asks for inactive products too, then only the shop's merchant gets them
    assert [p.name for p in list_products(uows(), shop.slug, True, actor=merchant)] == ["Retired"]
    for outsider in (stranger, customer, None):
        with pytest.raises(Forbidden):
            list_products(uows(), shop.slug, True, actor=outsider)


def test_a_merchant_creates_products_in_their_own_shop_only(uows: SqlUnitOfWorkFactory) -> None:
    # given two shops, the first one's merchant, a customer and an admin
    shop, other = add_shop(uows), add_shop(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    customer = add_user(uows)
    admin = add_user(uows, role=Role.ADMIN)
    data = NewProduct(name="  Becquet carbone ", unit="piece", unit_price=75000, stock=3)

    # when the merchant creates a product in their shop
    created = create_product(uows(), merchant, shop.slug, data)

    # then it is stored as given (name trimmed) and listed
    assert (created.name, created.unit, created.unit_price, created.stock) == (
        "Becquet carbone",
        Unit.PIECE,
        75000,
        Decimal("3.000"),
    )
    assert list_products(uows(), shop.slug) == [created]

    # and elsewhere they are refused, a customer always is, an admin never
    with pytest.raises(Forbidden):
        create_product(uows(), merchant, other.slug, data)
    with pytest.raises(Forbidden):
        create_product(uows(), customer, shop.slug, data)
    assert create_product(uows(), admin, other.slug, data).shop_id == other.id
    assert len(list_products(uows(), other.slug)) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (NewProduct(name="", unit="piece", unit_price=100), "invalid_name"),
        (NewProduct(name="X", unit="litre", unit_price=100), "invalid_unit"),
        (NewProduct(name="X", unit="piece", unit_price=-1), "invalid_amount"),
        (NewProduct(name="X", unit="piece", unit_price=100, stock="1.5"), "invalid_quantity"),
        (NewProduct(name="X", unit="kg", unit_price=100, stock="-2"), "invalid_quantity"),
        (NewProduct(name="X", unit="kg", unit_price=100, stock="0.0001"), "invalid_quantity"),
    ],
)
def test_invalid_products_are_refused(uows: SqlUnitOfWorkFactory, data: NewProduct, code: str) -> None:
    # given a merchant
    shop = add_shop(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])

    # when they send an invalid product, then it is refused with its code and nothing is stored
    with pytest.raises(InvalidInput) as refused:
        create_product(uows(), merchant, shop.slug, data)
    assert refused.value.code == code
    assert list_products(uows(), shop.slug, True, actor=merchant) == []


def test_a_merchant_edits_only_their_own_products_and_only_the_fields_sent(uows: SqlUnitOfWorkFactory) -> None:
    # given a product in each of two shops, the first shop's merchant, a customer and an admin
    shop, other = add_shop(uows), add_shop(uows)
    mine = add_product(uows, shop, name="Jantes", unit_price=25000, stock=4)
    theirs = add_product(uows, other, name="Theirs")
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    customer = add_user(uows)
    admin = add_user(uows, role=Role.ADMIN)

    # when the merchant changes the price and stock of their product
    edited = update_product(uows(), merchant, mine.id, ProductChanges(unit_price=26000, stock=7))

    # then only those fields changed
    assert (edited.name, edited.unit_price, edited.stock, edited.active) == ("Jantes", 26000, Decimal("7.000"), True)

    # and another shop's product is not found for them, a customer is forbidden, an admin may
    with pytest.raises(NotFound):
        update_product(uows(), merchant, theirs.id, ProductChanges(active=False))
    with pytest.raises(Forbidden):
        update_product(uows(), customer, mine.id, ProductChanges(active=False))
    assert update_product(uows(), admin, theirs.id, ProductChanges(active=False)).active is False
    assert list_products(uows(), other.slug) == []


def test_image_url_can_be_cleared_and_units_keep_stock_consistent(uows: SqlUnitOfWorkFactory) -> None:
    # given a kg product with a fractional stock and an image
    shop = add_shop(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    steak = create_product(
        uows(),
        merchant,
        shop.slug,
        NewProduct(name="Steak", unit="kg", unit_price=2500, stock="1.5", image_url="https://img.example/steak.jpg"),
    )

    # when the image is cleared, then it is gone while everything else stays
    cleared = update_product(uows(), merchant, steak.id, ProductChanges(image_url=None))
    assert cleared.image_url is None and cleared.stock == Decimal("1.500")

    # and switching it to pieces with 1.5 in stock is refused, with a whole stock it is allowed
    with pytest.raises(InvalidInput):
        update_product(uows(), merchant, steak.id, ProductChanges(unit="piece"))
    pieces = update_product(uows(), merchant, steak.id, ProductChanges(unit="piece", stock=2))
    assert (pieces.unit, pieces.stock) == (Unit.PIECE, Decimal("2.000"))
