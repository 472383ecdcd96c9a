"""Placing, reading and cancelling orders through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from factories import ADDRESS, NOW, add_product, add_shop, add_user, count_orders, history_of, order_of, stock_of
from fakes import FakeGateway

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import SYSTEM_WEBHOOK, Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.services import order_state
from comptoir.services.ordering import (
    LineRequest,
    PlaceOrder,
    cancel_order,
    get_my_order,
    list_my_orders,
    place_order,
    release_expired_holds,
)

MERCHANT = Actor(user_id=1, email="merchant@example.com", role=Role.MERCHANT)


def test_an_order_is_priced_by_the_server_holds_stock_and_records_its_creation(uows: SqlUnitOfWorkFactory) -> None:
    # given the seed 000 walkthrough: wheels at 250.00 and a spoiler at 750.00
    shop = add_shop(uows)
    wheels = add_product(uows, shop, unit_price=25000, stock=10)
    spoiler = add_product(uows, shop, unit_price=75000, stock=2)
    customer = add_user(uows)

    # when the customer orders two wheels (sending the right price) and a spoiler (sending none)
    order = place_order(uows(), customer, order_of(shop, (wheels, 2, 25000), (spoiler, 1)), NOW, hold_minutes=45)

    # then the server priced it, held the stock, and wrote one history row per axis
    assert order.id.startswith("ord_") and len(order.id) > 20
    assert order.number and order.currency == "EUR"
    assert (order.status, order.payment_status) == (OrderStatus.PENDING, PaymentStatus.UNPAID)
    assert [(line.quantity, line.unit_price, line.line_total) for line in order.lines] == [
        (Decimal("2.000"), 25000, 50000),
        (Decimal("1.000"), 75000, 75000),
    ]
    assert order.total == 125000
    assert order.hold_expires_at == NOW + timedelta(minutes=45)
    assert (stock_of(uows, wheels), stock_of(uows, spoiler)) == (Decimal("8.000"), Decimal("1.000"))
    assert [(h.axis, h.from_value, h.to_value, h.actor) for h in history_of(uows, order.id)] == [
        ("status", None, "pending", customer.label),
        ("payment_status", None, "unpaid", customer.label),
    ]
    assert get_my_order(uows(), customer, order.id) == order


def test_a_tampered_price_is_refused_naming_each_line_and_nothing_is_written(uows: SqlUnitOfWorkFactory) -> None:
    # given two products
    shop = add_shop(uows)
    wheels = add_product(uows, shop, unit_price=25000, stock=10)
    spoiler = add_product(uows, shop, unit_price=75000, stock=10)
    customer = add_user(uows)

    # when the client sends a price of 1.00 for the wheels and the right one for the spoiler... and 0 for it too
    with pytest.raises(Conflict) as refused:
        place_order(uows(), customer, order_of(shop, (wheels, 2, 100), (spoiler, 1, 0)), NOW)

    # then it is a 409 price_changed naming both lines, and neither an order nor a hold exists
    assert refused.value.code == "price_changed"
    assert refused.value.extra["lines"] == [
        {"product_id": wheels.id, "sent": 100, "current": 25000},
        {"product_id": spoiler.id, "sent": 0, "current": 75000},
    ]
    assert count_orders(uows) == 0
    assert (stock_of(uows, wheels), stock_of(uows, spoiler)) == (Decimal("10.000"), Decimal("10.000"))


def test_out_of_stock_names_the_product_and_undoes_the_other_lines_holds(uows: SqlUnitOfWorkFactory) -> None:
    # given plenty of wheels but a single spoiler
    shop = add_shop(uows)
    wheels = add_product(uows, shop, stock=10)
    spoiler = add_product(uows, shop, name="Becquet carbone", stock=1)
    customer = add_user(uows)

    # when two spoilers are ordered with the wheels
    with pytest.raises(Conflict) as refused:
        place_order(uows(), customer, order_of(shop, (wheels, 4), (spoiler, 2)), NOW)

    # then out_of_stock names the spoiler and the wheels' hold is rolled back with the order
    assert refused.value.code == "out_of_stock"
    assert refused.value.extra == {"product_id": spoiler.id, "name": "Becquet carbone"}
    assert stock_of(uows, wheels) == Decimal("10.000")
    assert stock_of(uows, spoiler) == Decimal("1.000")
    assert count_orders(uows) == 0


def test_kg_lines_are_rounded_half_up_once(uows: SqlUnitOfWorkFactory) -> None:
    # given entrecôte at 32.90 €/kg and merguez at 16.90 €/kg
    shop = add_shop(uows, delivery=False, pickup=True, on_pickup=True)
    entrecote = add_product(uows, shop, unit=Unit.KG, unit_price=3290, stock="5")
    merguez = add_product(uows, shop, unit=Unit.KG, unit_price=1690, stock="5")
    customer = add_user(uows)

    # when 0.250 kg (822.5 cents) and 1.255 kg (2120.95 cents) are ordered
    order = place_order(
        uows(), customer, order_of(shop, (entrecote, "0.250"), (merguez, "1.255"), delivery_address=None), NOW
    )

    # then each line is rounded half-up to the cent, and the total is their sum
    assert [line.line_total for line in order.lines] == [823, 2121]
    assert order.total == 2944
    assert stock_of(uows, entrecote) == Decimal("4.750")
    assert order.pickup == {} and order.delivery_address is None


def test_a_zero_decimal_currency_has_no_hundredths(uows: SqlUnitOfWorkFactory) -> None:
    # given a yen shop selling wagyu at ¥1999 per kg
    shop = add_shop(uows, currency="JPY")
    wagyu = add_product(uows, shop, unit=Unit.KG, unit_price=1999, stock="3")
    customer = add_user(uows)

    # when 1.5 kg are ordered (2998.5 yen)
    order = place_order(uows(), customer, order_of(shop, (wagyu, "1.5")), NOW)

    # then the order is in yen, rounded half-up to a whole yen
    assert order.currency == "JPY"
    assert order.lines[0].line_total == 2999 and order.total == 2999


@pytest.mark.parametrize(
    ("unit", "quantity"),
    [(Unit.PIECE, "1.5"), (Unit.PIECE, 0), (Unit.KG, "-1"), (Unit.KG, "0.0005"), (Unit.KG, "0"), (Unit.KG, "abc")],
)
def test_quantities_must_be_positive_whole_pieces_or_grams(
    uows: SqlUnitOfWorkFactory, unit: Unit, quantity: str | int
) -> None:
    # given a product sold by the piece or by the kg
    shop = add_shop(uows)
    product = add_product(uows, shop, unit=unit, stock=10)
    customer = add_user(uows)

    # when the quantity is not one that unit allows
    with pytest.raises(InvalidInput) as refused:
        place_order(uows(), customer, order_of(shop, (product, quantity)), NOW)

    # then it is refused as invalid_quantity and nothing is held
    assert refused.value.code == "invalid_quantity"
    assert stock_of(uows, product) == Decimal("10.000")


def test_products_that_cannot_be_sold_are_refused_clearly(uows: SqlUnitOfWorkFactory) -> None:
    # given an inactive product, another shop's product and an id that does not exist
    shop, other = add_shop(uows), add_shop(uows)
    retired = add_product(uows, shop, active=False)
    elsewhere = add_product(uows, other)
    customer = add_user(uows)

    # when each is ordered, then each refusal says which product and why
    with pytest.raises(Conflict) as inactive:
        place_order(uows(), customer, order_of(shop, (retired, 1)), NOW)
    assert (inactive.value.code, inactive.value.extra["product_id"]) == ("product_unavailable", retired.id)
    with pytest.raises(InvalidInput) as foreign:
        place_order(uows(), customer, order_of(shop, (elsewhere, 1)), NOW)
    assert (foreign.value.code, foreign.value.extra["product_id"]) == ("unknown_product", elsewhere.id)
    with pytest.raises(InvalidInput) as unknown:
        place_order(uows(), customer, PlaceOrder(shop.slug, [LineRequest(999999, 1)], "online", ADDRESS), NOW)
    assert (unknown.value.code, unknown.value.extra["product_id"]) == ("unknown_product", 999999)


def test_the_shop_decides_payment_methods_and_fulfilment(uows: SqlUnitOfWorkFactory) -> None:
    # given a delivery shop paid online, and a pickup butcher paid online or at pickup
    porsche = add_shop(uows)
    butcher = add_shop(uows, delivery=False, pickup=True, on_pickup=True)
    wheels, steak = add_product(uows, porsche), add_product(uows, butcher, unit=Unit.KG, unit_price=3290)
    customer = add_user(uows)

    # when orders break the shop's rules, then each gets its own code
    def refusal(command: PlaceOrder) -> str:
        with pytest.raises(InvalidInput) as refused:
            place_order(uows(), customer, command, NOW)
        return refused.value.code

    assert refusal(order_of(porsche, (wheels, 1), payment_method="on_pickup")) == "payment_method_not_offered"
    assert refusal(order_of(porsche, (wheels, 1), payment_method="cash")) == "invalid_payment_method"
    assert refusal(order_of(porsche, (wheels, 1), delivery_address=None)) == "delivery_address_required"
    assert refusal(order_of(porsche, (wheels, 1), delivery_address=None, pickup={})) == "pickup_not_offered"
    assert refusal(order_of(butcher, (steak, 1))) == "delivery_not_offered"
    assert refusal(order_of(butcher, (steak, 1), pickup={"slot": "18:00"})) == "invalid_fulfilment"
    assert refusal(PlaceOrder("no-such-shop", [LineRequest(wheels.id, 1)], "online", ADDRESS)) == "unknown_shop"
    assert refusal(PlaceOrder(porsche.slug, [], "online", ADDRESS)) == "empty_order"
    assert refusal(order_of(porsche, (wheels, 1), (wheels, 2))) == "duplicate_product"
    assert count_orders(uows) == 0

    # and a pay-at-pickup order with a slot is confirmed at once (issue 5), unpaid, holding stock with no expiry
    order = place_order(
        uows(),
        customer,
        order_of(butcher, (steak, "0.5"), payment_method="on_pickup", delivery_address=None, pickup={"slot": "18:00"}),
        NOW,
    )
    assert (order.status, order.payment_status, order.payment_method) == ("confirmed", "unpaid", "on_pickup")
    assert order.pickup == {"slot": "18:00"} and order.hold_expires_at is None


def test_another_customers_order_is_not_found_never_forbidden(uows: SqlUnitOfWorkFactory) -> None:
    # given Alice's order
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=5)
    alice, mallory = add_user(uows), add_user(uows)
    order = place_order(uows(), alice, order_of(shop, (product, 1)), NOW)

    # when Mallory reads it, lists her orders and tries to cancel it
    with pytest.raises(NotFound):
        get_my_order(uows(), mallory, order.id)
    with pytest.raises(NotFound):
        cancel_order(uows(), FakeGateway(), mallory, order.id, NOW)
    with pytest.raises(NotFound):
        get_my_order(uows(), mallory, "ord_doesnotexist")

    # then she sees nothing, and Alice's order and hold are untouched
    assert list_my_orders(uows(), mallory) == []
    assert get_my_order(uows(), alice, order.id).status is OrderStatus.PENDING
    assert stock_of(uows, product) == Decimal("4.000")


def test_my_orders_are_listed_newest_first_and_paged(uows: SqlUnitOfWorkFactory) -> None:
    # given three orders at three moments, and someone else's
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=10)
    customer, other = add_user(uows), add_user(uows)
    placed = [place_order(uows(), customer, order_of(shop, (product, 1)), NOW + timedelta(minutes=i)) for i in range(3)]
    place_order(uows(), other, order_of(shop, (product, 1)), NOW)

    # when they are read two at a time
    first = list_my_orders(uows(), customer, limit=2)
    second = list_my_orders(uows(), customer, limit=2, before=first[-1].id)

    # then the pages are newest first, complete and disjoint
    assert [o.id for o in first] == [placed[2].id, placed[1].id]
    assert [o.id for o in second] == [placed[0].id]
    with pytest.raises(InvalidInput):
        list_my_orders(uows(), customer, limit=0)


def test_cancelling_releases_the_hold_once_and_records_who_and_why(uows: SqlUnitOfWorkFactory) -> None:
    # given an order holding 3 of 5 units
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=5)
    customer = add_user(uows)
    order = place_order(uows(), customer, order_of(shop, (product, 3)), NOW)

    # when the customer cancels it, and a retried request cancels it again
    cancelled = cancel_order(uows(), FakeGateway(), customer, order.id, NOW + timedelta(minutes=1), "changed my mind")
    again = cancel_order(uows(), FakeGateway(), customer, order.id, NOW + timedelta(minutes=2))

    # then the stock came back exactly once and history has one cancellation with the reason
    assert cancelled.status is OrderStatus.CANCELLED and again == cancelled
    assert stock_of(uows, product) == Decimal("5.000")
    last = history_of(uows, order.id)[-1]
    assert (last.axis, last.from_value, last.to_value, last.actor, last.reason) == (
        "status",
        "pending",
        "cancelled",
        customer.label,
        "changed my mind",
    )
    assert len(history_of(uows, order.id)) == 3

    # and releasing again by another path returns nothing
    with uows() as uow:
        loaded = uow.orders.get_for_update(order.id)
        assert loaded is not None
        assert order_state.release_stock(uow, loaded, NOW) is False
        uow.commit()
    assert stock_of(uows, product) == Decimal("5.000")


def _mark_paid(uows: SqlUnitOfWorkFactory, order_id: str) -> None:
    with uows() as uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        order_state.change_payment_status(order, PaymentStatus.PAID, actor=SYSTEM_WEBHOOK, at=NOW)
        order_state.change_status(order, OrderStatus.CONFIRMED, actor=SYSTEM_WEBHOOK, at=NOW)
        uow.commit()


def test_a_paid_order_cannot_be_cancelled_by_the_customer(uows: SqlUnitOfWorkFactory) -> None:
    # given a paid, confirmed order
    shop = add_shop(uows)
    product = add_product(uows, shop, stock=5)
    customer = add_user(uows)
    order = place_order(uows(), customer, order_of(shop, (product, 1)), NOW)
    _mark_paid(uows, order.id)

    # when the customer tries to cancel it
    with pytest.raises(Conflict) as refused:
        cancel_order(uows(), FakeGateway(), customer, order.id, NOW)

    # then it is refused and nothing moved
    assert refused.value.code == "not_cancellable"
    assert get_my_order(uows(), customer, order.id).status is OrderStatus.CONFIRMED
    assert stock_of(uows, product) == Decimal("4.000")


def test_an_illegal_transition_is_refused_and_writes_no_history(uows: SqlUnitOfWorkFactory) -> None:
    # given a pending order
    shop = add_shop(uows)
    product = add_product(uows, shop)
    customer = add_user(uows)
    order = place_order(uows(), customer, order_of(shop, (product, 1)), NOW)

    # when something tries to make it ready or refunded straight away
    with uows() as uow:
        loaded = uow.orders.get_for_update(order.id)
        assert loaded is not None
        with pytest.raises(IllegalTransition):
            order_state.change_status(loaded, OrderStatus.READY, actor=MERCHANT, at=NOW)
        with pytest.raises(IllegalTransition):
            order_state.change_payment_status(loaded, PaymentStatus.REFUNDED, actor=MERCHANT, at=NOW)
        uow.commit()

    # then the order and its history are as they were
    assert get_my_order(uows(), customer, order.id).status is OrderStatus.PENDING
    assert len(history_of(uows, order.id)) == 2


def test_expired_holds_are_cancelled_and_their_stock_released(uows: SqlUnitOfWorkFactory) -> None:
    # given an expired unpaid order, a fresh one, a paid one past its hold and a pay-at-pickup one
    shop = add_shop(uows, pickup=True, on_pickup=True)
    product = add_product(uows, shop, stock=10)
    customer = add_user(uows)
    expired = place_order(uows(), customer, order_of(shop, (product, 1)), NOW - timedelta(hours=1))
    fresh = place_order(uows(), customer, order_of(shop, (product, 2)), NOW)
    paid = place_order(uows(), customer, order_of(shop, (product, 3)), NOW - timedelta(hours=1))
    _mark_paid(uows, paid.id)
    at_pickup = place_order(
        uows(),
        customer,
        order_of(shop, (product, 1), payment_method="on_pickup", delivery_address=None, pickup={}),
        NOW - timedelta(days=1),
    )

    # when the holds are swept at NOW, then swept again
    released = release_expired_holds(uows(), FakeGateway(), NOW)
    again = release_expired_holds(uows(), FakeGateway(), NOW)

    # then only the expired unpaid order was cancelled, by the system, once
    assert released == [expired.id] and again == []
    assert stock_of(uows, product) == Decimal("10.000") - 2 - 3 - 1
    assert get_my_order(uows(), customer, expired.id).status is OrderStatus.CANCELLED
    for untouched in (fresh, paid, at_pickup):
        assert get_my_order(uows(), customer, untouched.id).status is not OrderStatus.CANCELLED
    last = history_of(uows, expired.id)[-1]
    assert (last.to_value, last.actor) == ("cancelled", "system:expiry")


def test_merchants_and_admins_place_orders_as_themselves(uows: SqlUnitOfWorkFactory) -> None:
    # given a merchant of the shop
    shop = add_shop(uows)
    product = add_product(uows, shop)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])

    # when they order, then the order is theirs
    order = place_order(uows(), merchant, order_of(shop, (product, 1)), NOW)
    assert order.customer_id == merchant.user_id
