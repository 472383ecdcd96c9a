"""The merchant screen's event feed, read from the order history (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC

import pytest

from comptoir.domain.actors import Role
from comptoir.domain.errors import Forbidden
from comptoir.services.merchant import board, feed, refunds, workflow
from comptoir.services.merchant.refunds import RefundCommand
from tests.factories import NOW, add_user
from tests.integration.merchant_support import RefundingGateway, butcher, paid_online_order, pickup_order


def test_the_feed_rings_for_new_orders_cancellations_and_refunds_of_the_merchants_shops_only(uows) -> None:
    # given a butcher's merchant opening the feed, and another shop with its own orders
    shop, other = butcher(uows), butcher(uows)
    gateway = RefundingGateway()
    cursor = feed.open_cursor(uows(), shop.merchant, last_event_id=None)
    # when a pickup order arrives, an online one is paid, the first is refused and the second refunded
    pickup = pickup_order(uows, shop)
    pickup_order(uows, other)
    online, _ = paid_online_order(uows, gateway, shop)
    refunds.refuse(uows(), gateway, shop.merchant, pickup.id, reason="fermé", now=NOW)
    refunds.refund(uows(), gateway, shop.merchant, online.id, RefundCommand("geste", amount=100), now=NOW)
    events = feed.read_events(uows(), shop.merchant, cursor)
    # then the merchant sees exactly their shop's events, in order, each once
    assert [(e.type, e.order_id) for e in events] == [
        ("order.pickup_placed", pickup.id),
        ("order.paid", online.id),
        ("order.cancelled", pickup.id),
        ("order.refunded", online.id),
    ]
    assert events[1].data["total"] == online.total and events[1].data["number"] == online.number
    assert feed.read_events(uows(), shop.merchant, cursor) == []
    # and a stream resumed after the second event replays the rest
    resumed = feed.open_cursor(uows(), shop.merchant, last_event_id=events[1].id)
    assert [e.id for e in feed.read_events(uows(), shop.merchant, resumed)] == [e.id for e in events[2:]]


def test_collection_ready_and_completion_are_events_too(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    cursor = feed.open_cursor(uows(), shop.merchant, last_event_id=None)
    workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW)
    workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW)
    types = [e.type for e in feed.read_events(uows(), shop.merchant, cursor)]
    assert types == ["order.ready", "order.payment_collected", "order.completed"]


def test_only_merchants_and_admins_open_the_feed(uows) -> None:
    shop = butcher(uows)
    with pytest.raises(Forbidden):
        feed.open_cursor(uows(), shop.customer, last_event_id=None)
    admin = add_user(uows, role=Role.ADMIN)
    cursor = feed.open_cursor(uows(), admin, last_event_id=0)
    pickup_order(uows, shop)
    assert "order.pickup_placed" in [e.type for e in feed.read_events(uows(), admin, cursor)]


def test_seen_at_one_counter_is_an_event_for_every_screen_of_the_shop_and_happens_once(uows) -> None:
    # given two screens of the butcher's following the feed, and a new pickup order
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    cursor = feed.open_cursor(uows(), shop.merchant, last_event_id=None)
    # when one of them taps "Seen" twice (a double tap)
    first = board.mark_seen(uows(), shop.merchant, order.id, now=NOW, zone=UTC)
    second = board.mark_seen(uows(), shop.merchant, order.id, now=NOW, zone=UTC)
    # then the feed carries one `order.seen`, and the card moved to "to prepare"
    assert [(e.type, e.order_id) for e in feed.read_events(uows(), shop.merchant, cursor)] == [("order.seen", order.id)]
    assert first is not None and second is not None
    assert first.column is board.Column.TO_PREPARE and second.column is board.Column.TO_PREPARE
