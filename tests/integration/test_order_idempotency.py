"""Placing an order with an `Idempotency-Key`: a retry gets the first order and holds no more stock,
a reused key with another request is refused, and racing retries place one order (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from factories import NOW, add_product, add_shop, add_user, count_orders, order_of, stock_of

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.errors import Conflict
from comptoir.services.orders.ordering import place_order
from comptoir.services.views import OrderView
from tests.support import race


def test_a_retry_with_the_same_key_gets_the_first_order_and_holds_stock_once(uows: SqlUnitOfWorkFactory) -> None:
    # given a shop with 5 pieces and a customer
    shop = add_shop(uows)
    piece = add_product(uows, shop, unit_price=2500, stock=5)
    customer = add_user(uows)
    # when the customer places an order for 2 and, the answer lost, sends it again with the same key
    first = place_order(uows(), customer, order_of(shop, (piece, 2)), NOW, idempotency_key="tap-1")
    again = place_order(uows(), customer, order_of(shop, (piece, 2)), NOW, idempotency_key="tap-1")
    # then both answers are the same order, and 2 pieces are held, not 4
    assert again.id == first.id and again.number == first.number and again.total == first.total
    assert count_orders(uows) == 1
    assert stock_of(uows, piece) == 3


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(uows: SqlUnitOfWorkFactory) -> None:
    # given an order placed under a key
    shop = add_shop(uows)
    piece = add_product(uows, shop, unit_price=2500, stock=5)
    customer = add_user(uows)
    place_order(uows(), customer, order_of(shop, (piece, 2)), NOW, idempotency_key="tap-1")
    # when the same key comes with 3 pieces instead of 2
    with pytest.raises(Conflict) as refused:
        place_order(uows(), customer, order_of(shop, (piece, 3)), NOW, idempotency_key="tap-1")
    # then it is refused by name, and nothing more is held
    assert refused.value.code == "idempotency_key_reused"
    assert count_orders(uows) == 1 and stock_of(uows, piece) == 3


def test_keys_are_each_customers_own_and_a_new_key_is_a_new_order(uows: SqlUnitOfWorkFactory) -> None:
    # given two customers
    shop = add_shop(uows)
    piece = add_product(uows, shop, unit_price=2500, stock=10)
    ann, bob = add_user(uows), add_user(uows)
    # when both use the key "1", and Ann then orders again under "2"
    a1 = place_order(uows(), ann, order_of(shop, (piece, 1)), NOW, idempotency_key="1")
    b1 = place_order(uows(), bob, order_of(shop, (piece, 1)), NOW, idempotency_key="1")
    a2 = place_order(uows(), ann, order_of(shop, (piece, 1)), NOW, idempotency_key="2")
    # then there are three orders
    assert len({a1.id, b1.id, a2.id}) == 3 and count_orders(uows) == 3 and stock_of(uows, piece) == 7


def test_racing_retries_with_one_key_place_one_order(uows: SqlUnitOfWorkFactory) -> None:
    # given a customer whose app sends the same order six times at once (a frantic double tap)
    shop = add_shop(uows)
    piece = add_product(uows, shop, unit_price=2500, stock=20)
    customer = add_user(uows)
    # when they race
    outcomes = race(
        [
            lambda: place_order(uows(), customer, order_of(shop, (piece, 2)), NOW, idempotency_key="tap")
            for _ in range(6)
        ]
    )
    # then every one answers the same order, and 2 pieces are held
    orders = [o for o in outcomes if isinstance(o, OrderView)]
    assert len(orders) == 6, [o for o in outcomes if not isinstance(o, OrderView)]
    assert len({o.id for o in orders}) == 1
    assert count_orders(uows) == 1 and stock_of(uows, piece) == 18
