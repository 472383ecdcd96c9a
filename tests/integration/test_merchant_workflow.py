"""The merchant's workflow on SQLite and PostgreSQL: pay at pickup, ready, complete, who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.domain.actors import Role
from comptoir.domain.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from comptoir.domain.orders import OrderStatus
from comptoir.records.payments import LedgerEntry
from comptoir.services.merchant import refunds, workflow
from tests.factories import NOW, add_shop, add_user, history_of, stock_of
from tests.integration.merchant_support import (
    RefundingGateway,
    butcher,
    ledger,
    outbox,
    paid_online_order,
    pickup_order,
)
from tests.support import count, order_row, race


@pytest.fixture
def gateway() -> RefundingGateway:
    return RefundingGateway()


def test_a_pickup_order_is_confirmed_at_placement_and_the_shop_alerted_at_once(uows) -> None:
    # given a butcher taking payment at pickup
    shop = butcher(uows)
    # when a customer orders to pay at pickup
    order = pickup_order(uows, shop)
    # then it is confirmed (by the customer, no Stripe), unpaid, and the merchant is alerted now
    assert (order.status, order.payment_status) == ("confirmed", "unpaid")
    status_moves = [(h.from_value, h.to_value, h.actor) for h in history_of(uows, order.id) if h.axis == "status"]
    assert status_moves == [(None, "pending", shop.customer.label), ("pending", "confirmed", shop.customer.label)]
    messages = outbox(uows, order.id)
    assert ("merchant_alert", shop.merchant.email) in [(topic, to) for topic, to, _ in messages]
    assert [topic for topic, to, _ in messages if to == shop.customer.email] == ["order_confirmed"]


def test_collecting_at_the_counter_records_one_payment_and_completes_the_order(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    # when the merchant records the cash taken at the counter
    view = workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW)
    # then one ledger payment, keyed by the order, by the merchant; paid and completed along the legal path
    assert (view.order.status, view.order.payment_status) == ("completed", "paid")
    assert ledger(uows, order.id) == [("payment", 5000, f"counter:{order.id}", "merchant")]
    assert (view.paid, view.refunded, view.refundable) == (5000, 0, 5000)
    status_moves = [(h.from_value, h.to_value) for h in history_of(uows, order.id) if h.axis == "status"]
    assert status_moves[-2:] == [("confirmed", "ready"), ("ready", "completed")]
    assert "receipt" in [topic for topic, _, _ in outbox(uows, order.id)]


def test_a_double_click_on_collect_records_the_payment_once(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    # when two requests collect at the same moment
    results = race(
        [
            lambda: workflow.collect_payment(
                uows(), shop.merchant, order.id, method="card_terminal", amount=order.total, now=NOW
            )
        ]
        * 4
    )
    # then all answer the completed order and the money is recorded once
    assert all(not isinstance(r, Exception) for r in results), results
    assert {r.order.status for r in results} == {OrderStatus.COMPLETED}
    assert count(uows, LedgerEntry, order_id=order.id) == 1


def test_collecting_a_different_amount_is_refused_and_records_nothing(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    with pytest.raises(Conflict) as refused:
        workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total - 1, now=NOW)
    assert (refused.value.code, refused.value.extra["expected"]) == ("collect_amount_mismatch", order.total)
    assert ledger(uows, order.id) == []
    assert order_row(uows, order.id) == ("confirmed", "unpaid")
    with pytest.raises(InvalidInput):
        workflow.collect_payment(uows(), shop.merchant, order.id, method="cheque", amount=order.total, now=NOW)


def test_collect_is_for_pay_at_pickup_orders_only(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    with pytest.raises(Conflict) as refused:
        workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW)
    assert refused.value.code == "not_pay_at_pickup"


def test_ready_tells_the_customer_once_and_complete_hands_over(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    # when the merchant marks it ready twice (a double click), then completes it
    first = workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW)
    again = workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW + timedelta(seconds=1))
    done = workflow.complete(uows(), shop.merchant, order.id, now=NOW + timedelta(minutes=5))
    # then one "ready" message and one history row each
    assert (first.order.status, again.order.status, done.order.status) == ("ready", "ready", "completed")
    assert [topic for topic, _, _ in outbox(uows, order.id)].count("ready_for_pickup") == 1
    moves = [h.to_value for h in history_of(uows, order.id) if h.axis == "status"]
    assert moves.count("ready") == 1 and moves[-1] == "completed"
    # and a completed order cannot be marked ready again
    with pytest.raises(IllegalTransition):
        workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW)


def test_an_unpaid_pickup_order_cannot_be_completed_without_collecting(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW)
    with pytest.raises(Conflict) as refused:
        workflow.complete(uows(), shop.merchant, order.id, now=NOW)
    assert refused.value.code == "payment_not_collected"
    assert order_row(uows, order.id) == ("ready", "unpaid")


def test_nobody_but_the_shops_merchants_and_admins_reaches_its_orders(uows, gateway) -> None:
    # given an order of a butcher, a merchant of another shop, the customer, and an admin
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    elsewhere = add_user(uows, role=Role.MERCHANT, shops=[add_shop(uows)])
    admin = add_user(uows, role=Role.ADMIN)
    actions = {
        "get": lambda who: workflow.get_order(uows(), who, order.id),
        "ready": lambda who: workflow.mark_ready(uows(), who, order.id, now=NOW),
        "complete": lambda who: workflow.complete(uows(), who, order.id, now=NOW),
        "collect": lambda who: workflow.collect_payment(uows(), who, order.id, method="cash", amount=1, now=NOW),
        "refuse": lambda who: refunds.refuse(uows(), gateway, who, order.id, reason="no", now=NOW),
        "refund": lambda who: refunds.refund(
            uows(), gateway, who, order.id, refunds.RefundCommand("x", amount=1), now=NOW
        ),
    }
    # then the other merchant and the customer get NotFound for every action, and nothing changed
    for who in (elsewhere, shop.customer):
        for name, action in actions.items():
            with pytest.raises(NotFound):
                action(who)
            assert order_row(uows, order.id) == ("confirmed", "unpaid"), name
    # and the list refuses customers, shows a merchant only their shops, an admin everything
    with pytest.raises(Forbidden):
        workflow.list_orders(uows(), shop.customer)
    assert workflow.list_orders(uows(), elsewhere) == []
    assert [o.id for o in workflow.list_orders(uows(), admin)] == [order.id]
    assert workflow.get_order(uows(), admin, order.id).order.id == order.id


def test_the_list_is_newest_first_filtered_and_paged(uows) -> None:
    shop = butcher(uows)
    orders = [
        merchant_order
        for merchant_order in (
            pickup_order(uows, shop, 1),
            pickup_order(uows, shop, 1),
            pickup_order(uows, shop, 1),
        )
    ]
    workflow.mark_ready(uows(), shop.merchant, orders[1].id, now=NOW)
    newest_first = [o.id for o in sorted(orders, key=lambda o: o.id, reverse=True)]  # same created_at: id order
    first_page = workflow.list_orders(uows(), shop.merchant, limit=2)
    second_page = workflow.list_orders(uows(), shop.merchant, limit=2, before=first_page[-1].id)
    assert [o.id for o in first_page + second_page] == newest_first
    assert [o.id for o in workflow.list_orders(uows(), shop.merchant, status=OrderStatus.READY)] == [orders[1].id]
    with pytest.raises(InvalidInput):
        workflow.list_orders(uows(), shop.merchant, limit=0)


def test_refusing_a_pickup_order_cancels_it_releases_stock_and_tells_the_customer(uows, gateway) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop, 3)
    assert stock_of(uows, shop.product) == 7
    # when the butcher refuses it (twice: a double click)
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="plus de stock", now=NOW)
    refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="plus de stock", now=NOW)
    # then cancelled once, stock back once, nothing to refund, one message
    assert (view.order.status, view.order.payment_status) == ("cancelled", "unpaid")
    assert stock_of(uows, shop.product) == 10
    assert gateway.refund_calls == []
    refused = [body for topic, _, body in outbox(uows, order.id) if topic == "order_refused"]
    assert len(refused) == 1 and "plus de stock" in refused[0] and "Rien n’a été débité" in refused[0]
    last = history_of(uows, order.id)[-1]
    assert (last.to_value, last.actor) == ("cancelled", shop.merchant.label)


def test_a_completed_order_is_refunded_not_refused(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW)
    with pytest.raises(Conflict) as refused:
        refunds.refuse(uows(), RefundingGateway(), shop.merchant, order.id, reason="late", now=NOW)
    assert refused.value.code == "order_completed"


# --- the pickup code the customer gives at the counter ---------------------------------------------


def _code_of(uows, order_id: str) -> str:
    with uows() as uow:
        code = uow.orders.get(order_id).pickup_code
    assert code is not None and len(code) == 4 and code.isdigit()
    return code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


def test_collecting_with_the_right_code_hands_the_order_over(uows) -> None:
    # given a pay-at-pickup order and the code its customer was given
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    code = _code_of(uows, order.id)
    # when the merchant types the code the customer says, with the cash taken
    view = workflow.collect_payment(
        uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW, pickup_code=code
    )
    # then it is paid and handed over
    assert (view.order.status, view.order.payment_status) == ("completed", "paid")


def test_collecting_with_a_wrong_code_is_refused_and_records_nothing(uows) -> None:
    # given a pay-at-pickup order
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    before = outbox(uows, order.id)
    # when the merchant types a code that is not the order's
    with pytest.raises(Conflict) as refused:
        workflow.collect_payment(
            uows(),
            shop.merchant,
            order.id,
            method="cash",
            amount=order.total,
            now=NOW,
            pickup_code=_wrong(_code_of(uows, order.id)),
        )
    # then it is refused, and no payment, no status change, no receipt was recorded
    assert refused.value.code == "pickup_code_mismatch"
    assert ledger(uows, order.id) == []
    assert order_row(uows, order.id, "status", "payment_status") == ("confirmed", "unpaid")
    assert outbox(uows, order.id) == before


def test_collecting_without_a_code_is_not_checked(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    view = workflow.collect_payment(
        uows(), shop.merchant, order.id, method="card_terminal", amount=order.total, now=NOW
    )
    assert view.order.status == "completed"


def test_completing_a_paid_pickup_order_checks_the_code_when_one_is_given(uows, gateway) -> None:
    # given a pickup order paid online, ready at the counter
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW, gateway=gateway)
    code = _code_of(uows, order.id)
    # when a wrong code is typed, then it is refused and the order stays ready
    with pytest.raises(Conflict) as refused:
        workflow.complete(uows(), shop.merchant, order.id, now=NOW, pickup_code=_wrong(code))
    assert refused.value.code == "pickup_code_mismatch"
    assert order_row(uows, order.id, "status") == ("ready",)
    assert [h.to_value for h in history_of(uows, order.id) if h.axis == "status"][-1] == "ready"
    # when the right code is typed (as the customer says it, with a space), then it is handed over
    view = workflow.complete(uows(), shop.merchant, order.id, now=NOW, pickup_code=f"{code[:2]} {code[2:]}")
    assert view.order.status == "completed"


def test_completing_without_a_code_hands_over_unchecked(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    workflow.mark_ready(uows(), shop.merchant, order.id, now=NOW, gateway=gateway)
    assert workflow.complete(uows(), shop.merchant, order.id, now=NOW).order.status == "completed"


def test_the_merchants_view_of_an_order_never_carries_its_code(uows) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    assert order.pickup_code == _code_of(uows, order.id)  # the customer's view when placing it
    assert workflow.get_order(uows(), shop.merchant, order.id).order.pickup_code is None
    assert all(view.pickup_code is None for view in workflow.list_orders(uows(), shop.merchant))
