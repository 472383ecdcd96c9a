"""The SQL unit of work and repositories: transaction boundaries, lookups, and the stock guards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import NOW, add_product, add_shop, add_user, order_of, stock_of
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Role
from comptoir.domain.errors import Conflict
from comptoir.records.shop import Product, User
from comptoir.services.orders.ordering import place_order
from comptoir.services.ports import HistoryChange


def _user(email: str) -> User:
    return User(email=email, password_hash="x", name="", role="customer")


def test_leaving_without_commit_or_with_an_error_rolls_back(uows: SqlUnitOfWorkFactory) -> None:
    # given two units of work that add a user: one never commits, one raises
    with uows() as uow:
        uow.users.add(_user("nocommit@example.com"))
    with pytest.raises(RuntimeError), uows() as uow:
        uow.users.add(_user("raised@example.com"))
        raise RuntimeError("boom")

    # when we look for them, then neither was kept
    with uows() as uow:
        assert uow.users.get_by_email("nocommit@example.com") is None
        assert uow.users.get_by_email("raised@example.com") is None


def test_a_unit_of_work_can_be_reused_but_not_nested(uows: SqlUnitOfWorkFactory) -> None:
    # given one unit of work
    uow = uows()
    with uow:
        uow.users.add(_user("first@example.com"))
        uow.commit()

    # when it is entered again after closing, then it works; entered while open, it refuses
    with uow:
        assert uow.users.get_by_email("first@example.com") is not None
        with pytest.raises(RuntimeError):
            uow.__enter__()


def test_emails_are_stored_lower_case_and_found_whatever_the_case(uows: SqlUnitOfWorkFactory) -> None:
    # given a user registered as "Client@Example.COM "
    with uows() as uow:
        uow.users.add(_user(" Client@Example.COM "))
        uow.commit()

    # when looked up in another case, then found, and stored lower-cased
    with uows() as uow:
        found = uow.users.get_by_email("CLIENT@example.com")
        assert found is not None and found.email == "client@example.com"

    # and the same address in another case is a duplicate, refused as the API refuses it
    with uows() as uow, pytest.raises(Conflict) as refused:
        uow.users.add(_user("client@EXAMPLE.com"))
    assert refused.value.code == "email_taken"


def test_binding_a_merchant_twice_binds_once(uows: SqlUnitOfWorkFactory) -> None:
    # given two shops and a merchant
    first, second = add_shop(uows), add_shop(uows)
    merchant = add_user(uows, role=Role.MERCHANT)

    # when bound to the first shop twice and the second once
    with uows() as uow:
        assert uow.shops.add_merchant(first.id, merchant.user_id) is True
        assert uow.shops.add_merchant(first.id, merchant.user_id) is False
        assert uow.shops.add_merchant(second.id, merchant.user_id) is True
        uow.commit()

    # then they are a merchant of exactly those two shops
    with uows() as uow:
        assert uow.users.shop_ids(merchant.user_id) == {first.id, second.id}
        assert uow.shops.get_by_slug(first.slug) is not None
        assert {s.id for s in uow.shops.list()} == {first.id, second.id}


def test_taking_stock_needs_an_active_product_with_enough_left(uows: SqlUnitOfWorkFactory) -> None:
    # given 2 units of an active product and 5 of an inactive one
    shop = add_shop(uows)
    active = add_product(uows, shop, stock=2)
    retired = add_product(uows, shop, stock=5, active=False)

    # when stock is taken, then it succeeds only while enough remains, and never for the inactive one
    with uows() as uow:
        assert uow.products.take_stock(active.id, 2000) is True
        assert uow.products.get(active.id).stock_milli == 0  # type: ignore[union-attr]
        assert uow.products.take_stock(active.id, 1) is False
        assert uow.products.take_stock(retired.id, 1000) is False
        uow.commit()
    assert (stock_of(uows, active), stock_of(uows, retired)) == (Decimal("0.000"), Decimal("5.000"))


def test_the_database_itself_refuses_negative_stock(uows: SqlUnitOfWorkFactory) -> None:
    # given a product with one unit
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=1)

    # when something bypasses the guards and writes a negative stock, then the CHECK constraint refuses it
    with uows() as uow, pytest.raises(IntegrityError):
        uow.session.execute(update(Product).where(Product.id == product.id).values(stock_milli=-1000))
    assert stock_of(uows, product) == Decimal("1.000")


def test_stock_is_marked_released_only_once(uows: SqlUnitOfWorkFactory) -> None:
    # given an order holding stock
    shop = add_shop(uows)
    product = add_product(uows, shop)
    order = place_order(uows(), add_user(uows), order_of(shop, (product, 1)), NOW)

    # when the release flag is set twice, then only the first call did it
    with uows() as uow:
        assert uow.orders.mark_stock_released(order.id, NOW) is True
        assert uow.orders.mark_stock_released(order.id, NOW) is False
        loaded = uow.orders.get(order.id)
        assert loaded is not None and loaded.stock_released_at == NOW


@pytest.mark.parametrize("history_read_first", [False, True])
def test_add_history_appends_one_row_whether_or_not_the_history_was_read(
    uows: SqlUnitOfWorkFactory, history_read_first: bool
) -> None:
    # given a placed order (two creation rows), loaded in a new transaction, its history read or not
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=5)
    order = place_order(uows(), add_user(uows), order_of(shop, (product, 1)), NOW)
    with uows() as uow:
        loaded = uow.orders.get_for_update(order.id)
        assert loaded is not None
        if history_read_first:
            assert len(loaded.history) == 2

        # when one change is added
        uow.orders.add_history(loaded, HistoryChange("status", "pending", "confirmed", "system:test", NOW, "why"))

        # then the loaded order sees it at once, and so does the next transaction after commit
        assert [(h.axis, h.to_value, h.reason) for h in loaded.history][-1] == ("status", "confirmed", "why")
        uow.commit()
    with uows() as uow:
        again = uow.orders.get(order.id)
        assert again is not None
        assert len(again.history) == 3
