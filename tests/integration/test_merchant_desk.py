"""The desk's queries on SQLite and PostgreSQL: the order search (filters, text, days in the shop's
zone, pages, whose shop), an order's timeline, and the weigh preview."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import InvalidInput, NotFound
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.services.merchant import deadlines, desk, takings, workflow
from comptoir.services.orders import ordering
from comptoir.services.payments import capture, cards
from comptoir.services.views import OrderView
from tests.factories import NOW, add_product, add_shop, add_user, order_of
from tests.fakes import FakeGateway

PARIS = ZoneInfo("Europe/Paris")


def _named(uows: SqlUnitOfWorkFactory, user_id: int, name: str) -> None:
    with uows() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        user.name = name
        uow.commit()


@pytest.fixture
def shop_orders(uows: SqlUnitOfWorkFactory):
    """A shop with a delivery order by Jeanne (online, pending) and a pickup order by Paul (at pickup)."""
    shop = add_shop(uows, on_pickup=True, pickup=True)
    product = add_product(uows, shop, stock=100)
    jeanne, paul = add_user(uows), add_user(uows)
    _named(uows, jeanne.user_id, "Jeanne 100% Martin")
    _named(uows, paul.user_id, "Paul Durand")
    delivered = ordering.place_order(uows(), jeanne, order_of(shop, (product, 1)), NOW)
    picked = ordering.place_order(
        uows(),
        paul,
        order_of(shop, (product, 2), payment_method="on_pickup", delivery_address=None, pickup={"note": "midi"}),
        NOW + timedelta(minutes=5),
    )
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    return shop, merchant, delivered, picked


def _numbers(page: desk.OrderPage) -> list[str]:
    return [order.number for order in page.orders]


def _find(uows: SqlUnitOfWorkFactory, actor, **query) -> desk.OrderPage:
    return desk.find_orders(uows(), actor, desk.OrderQuery(**query), zone=PARIS, now=NOW)


def test_search_filters_each_way(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    _, merchant, delivered, picked = shop_orders
    # then pickup and delivery part (whatever the database stores for "no pickup"), newest first by default
    assert _numbers(_find(uows, merchant)) == [picked.number, delivered.number]
    assert _numbers(_find(uows, merchant, fulfilment=desk.Fulfilment.PICKUP)) == [picked.number]
    assert _numbers(_find(uows, merchant, fulfilment=desk.Fulfilment.DELIVERY)) == [delivered.number]
    # and progress, payment and text (name, e-mail, number; a % is a plain character) narrow it
    assert _numbers(_find(uows, merchant, status=OrderStatus.PENDING)) == [delivered.number]
    assert _numbers(_find(uows, merchant, payment_status=PaymentStatus.PAID)) == []
    assert _numbers(_find(uows, merchant, text="durand")) == [picked.number]
    assert _numbers(_find(uows, merchant, text="100%")) == [delivered.number]
    assert _numbers(_find(uows, merchant, text="0% m")) == [delivered.number]
    assert _numbers(_find(uows, merchant, text=picked.number.lower())) == [picked.number]
    assert _numbers(_find(uows, merchant, text="_")) == []


def test_search_days_are_the_shops_days(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    _, merchant, _, _ = shop_orders
    # NOW is 22 November 12:00 UTC, 13:00 in Paris
    day = NOW.astimezone(PARIS).date()
    assert _find(uows, merchant, date_from=day, date_to=day).matching == 2
    assert _find(uows, merchant, date_to=day - timedelta(days=1)).matching == 0
    assert _find(uows, merchant, date_from=day + timedelta(days=1)).matching == 0


def test_search_pages_and_counts(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    shop, merchant, _, _ = shop_orders
    product = add_product(uows, shop, stock=1000)
    customer = add_user(uows)
    for minute in range(desk.PAGE_SIZE):
        ordering.place_order(uows(), customer, order_of(shop, (product, 1)), NOW + timedelta(hours=1, minutes=minute))
    first, second = _find(uows, merchant), _find(uows, merchant, page=2)
    assert (first.matching, first.pages, len(first.orders), len(second.orders)) == (desk.PAGE_SIZE + 2, 2, 25, 2)
    assert set(_numbers(first)).isdisjoint(_numbers(second))


def test_another_shops_merchant_finds_nothing_and_reaches_nothing(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    _, _, delivered, _ = shop_orders
    stranger = add_user(uows, role=Role.MERCHANT, shops=[add_shop(uows)])
    assert _find(uows, stranger).matching == 0
    with pytest.raises(NotFound):
        desk.order_detail(uows(), stranger, delivered.id)


def test_search_refuses_what_it_cannot_answer(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    _, merchant, _, _ = shop_orders
    day = NOW.date()
    for query in (
        {"page": 0},
        {"page": desk.MAX_PAGE_NUMBER + 1},
        {"text": "x" * 101},
        {"date_from": day, "date_to": day - timedelta(days=1)},
    ):
        with pytest.raises(InvalidInput):
            _find(uows, merchant, **query)


def test_the_timeline_names_who_did_what(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    _, merchant, _, picked = shop_orders
    detail = desk.order_detail(uows(), merchant, picked.id)
    assert isinstance(detail.view.order, OrderView) and detail.customer_name == "Paul Durand"
    steps = [(e.who_kind, e.who_name, e.axis, e.to_value) for e in detail.timeline]
    assert ("customer", "Paul Durand", "status", "confirmed") in steps
    assert detail.authorised is None and detail.capture_before is None


def test_the_weigh_preview_prices_as_the_capture_and_flags_too_much(uows: SqlUnitOfWorkFactory) -> None:
    # given 1.500 kg at 32.90 authorised with a 10% margin (49.35 + 4.94)
    shop = add_shop(uows, capture_manually=True, capture_margin_percent=10)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    order = ordering.place_order(uows(), customer, order_of(shop, (beef, "1.500")), NOW)
    cards.pay_order(uows(), FakeGateway(), customer, order.id, now=NOW, payment_method_id="pm_card_visa")
    line = order.lines[0].id
    # when the merchant previews 1.333 kg and 1.700 kg
    less = desk.weigh_preview(uows(), merchant, order.id, [capture.FinalLine(line, "1.333")])
    more = desk.weigh_preview(uows(), merchant, order.id, [capture.FinalLine(line, "1.700")])
    # then the totals are the capture's (half-up once per line), the second above what the card holds
    assert (less.total, less.authorised, less.too_much) == (4386, 5429, False)
    assert (more.total, more.too_much) == (5593, True)
    detail = desk.order_detail(uows(), merchant, order.id)
    assert detail.authorised == 5429 and detail.capture_before == NOW + timedelta(days=7)


def test_the_day_counts_money_on_the_day_the_ledger_recorded_it(uows: SqlUnitOfWorkFactory, shop_orders) -> None:
    # given Paul's pickup order placed on 22 November and paid at the counter on the 23rd
    _, merchant, _, picked = shop_orders
    workflow.collect_payment(
        uows(), merchant, picked.id, method="card_terminal", amount=picked.total, now=NOW + timedelta(days=1)
    )
    day = NOW.astimezone(PARIS).date()
    # when the merchant sums up each day
    placed = takings.day_summary(uows(), merchant, day, zone=PARIS)
    paid = takings.day_summary(uows(), merchant, day + timedelta(days=1), zone=PARIS)
    # then the order counts on the 22nd (Jeanne's, still waiting for online payment, does not), the money on the 23rd
    assert (placed.orders, placed.takings) == (1, ())
    assert (paid.orders, [(s.method, s.amount, s.count) for s in paid.takings]) == (
        0,
        [("card_terminal", picked.total, 1)],
    )
    rows = takings.export_rows(uows(), merchant, day, day + timedelta(days=1), zone=PARIS)
    assert [(row.record, row.what) for row in rows] == [
        ("order", "pending"),
        ("order", "completed"),
        ("payment", "card_terminal"),
    ]


def test_open_authorisations_are_the_merchants_own(uows: SqlUnitOfWorkFactory) -> None:
    shop = add_shop(uows, capture_manually=True)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    stranger = add_user(uows, role=Role.MERCHANT, shops=[add_shop(uows)])
    order = ordering.place_order(uows(), customer, order_of(shop, (beef, "1.000")), NOW)
    cards.pay_order(uows(), FakeGateway(), customer, order.id, now=NOW, payment_method_id="pm_card_visa")
    mine = takings.day_summary(uows(), merchant, NOW.date(), zone=PARIS).open_authorisations
    theirs = takings.day_summary(uows(), stranger, NOW.date(), zone=PARIS).open_authorisations
    assert [(a.number, a.amount, a.capture_before) for a in mine] == [(order.number, 3290, NOW + timedelta(days=7))]
    assert theirs == ()


def test_merchants_are_warned_once_a_day_before_the_capture_deadline(uows: SqlUnitOfWorkFactory) -> None:
    # given a card authorised at NOW in a shop that captures by weight
    shop = add_shop(uows, capture_manually=True)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    order = ordering.place_order(uows(), customer, order_of(shop, (beef, "1.000")), NOW)
    cards.pay_order(uows(), FakeGateway(), customer, order.id, now=NOW, payment_method_id="pm_card_visa")
    # when the worker looks five days later, then six and a half days later, twice
    early = deadlines.warn_merchants(uows(), now=NOW + timedelta(days=5), zone=PARIS)
    due = NOW + timedelta(days=6, hours=12)
    first, again = deadlines.warn_merchants(uows(), now=due, zone=PARIS), deadlines.warn_merchants(uows(), now=due)
    # then one message is queued, to the shop's merchant, saying what and by when (Paris time)
    assert (early, first, again) == (0, 1, 0)
    with uows() as uow:
        [message] = [m for m in uow.outbox.for_order(order.id) if m.topic == "capture_deadline"]
        assert message.recipient == merchant.email and order.number in message.subject
        assert "dimanche 29 novembre 2026 à 13:00" in message.subject and "32,90\xa0€" in message.body
    # and the order list shows it above the orders, with the action
    page = _find(uows, merchant, status=OrderStatus.CANCELLED)
    listed = desk.find_orders(uows(), merchant, desk.OrderQuery(), zone=PARIS, now=due)
    assert page.due_soon == () and [item.number for item in listed.due_soon] == [order.number]
