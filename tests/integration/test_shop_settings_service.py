"""Shop set-up through services.shops on SQLite and PostgreSQL: create, edit, who may, and the bounds."""

from __future__ import annotations

import dataclasses

import pytest

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Role
from comptoir.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from comptoir.domain.shop_settings import ShopSettings
from comptoir.services import shops
from tests.factories import add_user

BUTCHER = ShopSettings(
    name="Boucherie Dupont",
    currency="eur",
    time_zone="Europe/Paris",
    address="3 rue des Halles, 75001 Paris",
    opening_hours="Mardi-samedi 8h-19h",
    offers_pickup=True,
    accepts_online=True,
    accepts_on_pickup=True,
    capture_manually=True,
    capture_margin_percent=15,
    pickup_slot_minutes=20,
    pickup_slot_capacity=3,
)


def test_a_created_shop_keeps_its_settings(uows: SqlUnitOfWorkFactory) -> None:
    # when an admin's tool creates a shop
    created = shops.create_shop(uows(), " boucherie-dupont ", BUTCHER)

    # then it reads back as it was given, normalised
    admin = add_user(uows, role=Role.ADMIN)
    read = shops.shop_for_editing(uows(), admin, created.id)
    assert read.slug == "boucherie-dupont"
    assert read.settings == dataclasses.replace(BUTCHER, currency="EUR")


def test_a_merchant_edits_their_own_shop_and_no_other(uows: SqlUnitOfWorkFactory) -> None:
    # given two shops and the merchant of the first
    mine = shops.create_shop(uows(), "mine", BUTCHER)
    other = shops.create_shop(uows(), "other", dataclasses.replace(BUTCHER, name="Other"))
    merchant = add_user(uows, role=Role.MERCHANT)
    admin = add_user(uows, role=Role.ADMIN)
    shops.bind_merchant(uows(), admin, mine.id, merchant.email)
    merchant = dataclasses.replace(merchant, shop_ids=frozenset({mine.id}))

    # when they change their shop's slots and time zone
    changed = dataclasses.replace(BUTCHER, time_zone="America/Martinique", pickup_slot_minutes=30)
    shops.update_shop_settings(uows(), merchant, mine.id, changed)

    # then their shop has them, and the other shop is out of reach
    assert shops.shop_for_editing(uows(), merchant, mine.id).settings.time_zone == "America/Martinique"
    with pytest.raises(NotFound):
        shops.update_shop_settings(uows(), merchant, other.id, changed)
    with pytest.raises(NotFound):
        shops.shop_for_editing(uows(), merchant, other.id)
    assert [s.slug for s in shops.shops_of_actor(uows(), merchant)] == ["mine"]
    assert shops.shop_for_editing(uows(), admin, other.id).settings.name == "Other"


def test_every_wrong_field_is_named_at_once(uows: SqlUnitOfWorkFactory) -> None:
    shop = shops.create_shop(uows(), "dupont", BUTCHER)
    admin = add_user(uows, role=Role.ADMIN)
    wrong = dataclasses.replace(
        BUTCHER, name="", time_zone="Europe/Atlantis", pickup_slot_minutes=0, pickup_slot_capacity=10_000,
        capture_margin_percent=-1, offers_pickup=False, offers_delivery=False,
    )  # fmt: skip

    with pytest.raises(InvalidInput) as refused:
        shops.update_shop_settings(uows(), admin, shop.id, wrong)

    assert refused.value.extra["fields"] == {
        "name": "required",
        "time_zone": "unknown_time_zone",
        "offers_pickup": "pickup_or_delivery",
        "capture_margin_percent": "out_of_range",
        "pickup_slot_minutes": "out_of_range",
        "pickup_slot_capacity": "out_of_range",
    }
    assert shops.shop_for_editing(uows(), admin, shop.id).settings.name == "Boucherie Dupont"


def test_a_slug_is_taken_once(uows: SqlUnitOfWorkFactory) -> None:
    shops.create_shop(uows(), "dupont", BUTCHER)

    with pytest.raises(Conflict) as refused:
        shops.create_shop(uows(), "dupont", BUTCHER)

    assert refused.value.code == "slug_taken"


def test_only_an_admin_binds_merchants_and_only_merchant_accounts(uows: SqlUnitOfWorkFactory) -> None:
    shop = shops.create_shop(uows(), "dupont", BUTCHER)
    admin = add_user(uows, role=Role.ADMIN)
    merchant = add_user(uows, role=Role.MERCHANT)
    customer = add_user(uows, role=Role.CUSTOMER)

    with pytest.raises(Forbidden):
        shops.bind_merchant(uows(), merchant, shop.id, merchant.email)
    with pytest.raises(NotFound):
        shops.bind_merchant(uows(), admin, shop.id, customer.email)
    bound = shops.bind_merchant(uows(), admin, shop.id, merchant.email.upper())
    again = shops.bind_merchant(uows(), admin, shop.id, merchant.email)

    assert bound.merchant_emails == again.merchant_emails == (merchant.email,)


def test_the_currency_stays_once_prices_are_in_it(uows: SqlUnitOfWorkFactory) -> None:
    shop = shops.create_shop(uows(), "dupont", BUTCHER)
    admin = add_user(uows, role=Role.ADMIN)

    with pytest.raises(InvalidInput) as refused:
        shops.update_shop_settings(uows(), admin, shop.id, dataclasses.replace(BUTCHER, currency="CHF"))

    assert refused.value.extra["fields"] == {"currency": "fixed"}
