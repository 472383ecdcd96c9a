"""Real threads racing for the last units and for the same cancellation, on SQLite and PostgreSQL.

A barrier releases every thread at once so the transactions genuinely overlap; no sleeps.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from factories import NOW, add_product, add_shop, add_user, count_orders, history_of, order_of, stock_of
from fakes import FakeGateway

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict
from comptoir.domain.orders import OrderStatus
from comptoir.services.ordering import cancel_order, get_my_order, place_order, release_expired_holds
from comptoir.services.views import OrderView
from tests.support import race


def _split(outcomes: list[OrderView | BaseException]) -> tuple[list[OrderView], list[Conflict]]:
    placed = [o for o in outcomes if isinstance(o, OrderView)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    unexpected = [o for o in outcomes if not isinstance(o, OrderView | Conflict)]
    assert unexpected == [], unexpected
    return placed, refused


def test_eight_buyers_for_three_pieces_sell_exactly_three(uows: SqlUnitOfWorkFactory) -> None:
    # given three spoilers left and eight customers
    shop = add_shop(uows)
    spoiler = add_product(uows, shop, unit_price=75000, stock=3)
    customers = [add_user(uows) for _ in range(8)]

    # when all eight order one at the same instant
    outcomes = race([lambda c=c: place_order(uows(), c, order_of(shop, (spoiler, 1)), NOW) for c in customers])

    # then exactly three orders exist, five were told out_of_stock, and the stock is zero
    placed, refused = _split(outcomes)
    assert len(placed) == 3 and len(refused) == 5
    assert {r.code for r in refused} == {"out_of_stock"}
    assert {r.extra["product_id"] for r in refused} == {spoiler.id}
    assert stock_of(uows, spoiler) == Decimal("0.000")
    assert count_orders(uows) == 3


def test_eight_buyers_for_one_kilo_by_300_grams_sell_exactly_900_grams(uows: SqlUnitOfWorkFactory) -> None:
    # given 1.000 kg of entrecôte and eight customers wanting 0.300 kg each
    shop = add_shop(uows)
    entrecote = add_product(uows, shop, unit=Unit.KG, unit_price=3290, stock="1.000")
    customers = [add_user(uows) for _ in range(8)]

    # when they all order at once
    outcomes = race([lambda c=c: place_order(uows(), c, order_of(shop, (entrecote, "0.300")), NOW) for c in customers])

    # then three orders of 0.300 kg fit, the rest are out_of_stock, and 0.100 kg is left
    placed, refused = _split(outcomes)
    assert len(placed) == 3 and len(refused) == 5
    assert all(o.total == 987 for o in placed)
    assert stock_of(uows, entrecote) == Decimal("0.100")


def test_orders_racing_over_two_products_in_opposite_order_neither_deadlock_nor_oversell(
    uows: SqlUnitOfWorkFactory,
) -> None:
    # given two products with two units each
    shop = add_shop(uows)
    first, second = add_product(uows, shop, stock=2), add_product(uows, shop, stock=2)
    customers = [add_user(uows) for _ in range(6)]

    # when six orders list both products, half of them in the opposite order
    def order(i: int) -> OrderView:
        lines = ((first, 1), (second, 1)) if i % 2 else ((second, 1), (first, 1))
        return place_order(uows(), customers[i], order_of(shop, *lines), NOW)

    placed, refused = _split(race([lambda i=i: order(i) for i in range(6)]))

    # then two orders got both, four were refused, and both stocks are zero
    assert (len(placed), len(refused)) == (2, 4)
    assert (stock_of(uows, first), stock_of(uows, second)) == (Decimal("0.000"), Decimal("0.000"))


def test_two_simultaneous_cancels_release_the_stock_once(uows: SqlUnitOfWorkFactory) -> None:
    # given an order holding 2 of 5 units
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=5)
    customer = add_user(uows)
    order = place_order(uows(), customer, order_of(shop, (product, 2)), NOW)

    # when the customer's two tabs cancel it at the same instant
    outcomes = race([lambda: cancel_order(uows(), FakeGateway(), customer, order.id, NOW) for _ in range(2)])

    # then both answer "cancelled", the stock came back once, and history has one cancellation
    assert all(isinstance(o, OrderView) and o.status is OrderStatus.CANCELLED for o in outcomes), outcomes
    assert stock_of(uows, product) == Decimal("5.000")
    assert [h.to_value for h in history_of(uows, order.id)].count("cancelled") == 1


def test_cancels_racing_the_expiry_sweep_release_each_hold_once(uows: SqlUnitOfWorkFactory) -> None:
    # given three expired orders holding the same two products
    shop = add_shop(uows)
    first, second = add_product(uows, shop, stock=9), add_product(uows, shop, stock=9)
    customer = add_user(uows)
    orders = [place_order(uows(), customer, order_of(shop, (first, 1), (second, 2)), NOW) for _ in range(3)]
    later = NOW + timedelta(hours=1)

    # when the customer cancels each of them while the sweeper runs
    outcomes = race(
        [lambda o=o: cancel_order(uows(), FakeGateway(), customer, o.id, later) for o in orders]
        + [lambda: release_expired_holds(uows(), FakeGateway(), later)]
    )

    # then nobody failed (no deadlock), every order is cancelled once, and all the stock is back
    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    for order in orders:
        assert get_my_order(uows(), customer, order.id).status is OrderStatus.CANCELLED
        assert [h.to_value for h in history_of(uows, order.id)].count("cancelled") == 1
    assert (stock_of(uows, first), stock_of(uows, second)) == (Decimal("9.000"), Decimal("9.000"))
