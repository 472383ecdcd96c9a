"""Refusing paid orders and refunding them, on SQLite and PostgreSQL (a fake provider that refunds
like Stripe; tests/e2e/merchant runs the same flows against the real sandbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comptoir.domain.errors import Conflict, InvalidInput, UpstreamUnavailable
from comptoir.records.refunds import RefundRequest
from comptoir.services.merchant import refunds, workflow
from comptoir.services.merchant.refunds import RefundCommand, RefundLine
from comptoir.services.orders import ordering
from comptoir.services.payments import checkout, webhooks
from tests.factories import NOW, order_of, stock_of
from tests.fakes import event
from tests.integration.merchant_support import (
    URLS,
    RefundingGateway,
    authorised_order,
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


def _refund(uows, gateway, shop, order_id, *, at=NOW, **command):
    return refunds.refund(uows(), gateway, shop.merchant, order_id, RefundCommand(**command), now=at)


def test_refusing_a_paid_order_refunds_it_in_full_with_our_key(uows, gateway) -> None:
    # given an order paid online (2 x 25.00)
    shop = butcher(uows)
    order, intent = paid_online_order(uows, gateway, shop)
    assert stock_of(uows, shop.product) == 8
    # when the butcher refuses it, twice (a double click)
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="rupture", now=NOW)
    refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="rupture", now=NOW)
    # then cancelled, stock back, one full refund under the refusal's key, in the ledger once
    assert (view.order.status, view.order.payment_status) == ("cancelled", "refunded")
    assert stock_of(uows, shop.product) == 10
    assert gateway.refund_calls == [(intent, f"order:{order.id}:refund:refuse", 5000)]
    assert [e[:2] for e in ledger(uows, order.id)] == [("payment", 5000), ("refund", 5000)]
    assert (view.paid, view.refunded, view.refundable) == (5000, 5000, 0)
    assert [(r.number, r.state, r.counted) for r in view.refunds] == [(0, "created", True)]
    refused = [body for topic, _, body in outbox(uows, order.id) if topic == "order_refused"]
    assert len(refused) == 1 and "50,00\xa0€" in refused[0] and "remboursés" in refused[0]


def test_refusing_an_authorised_order_releases_the_authorisation(uows, gateway) -> None:
    shop = butcher(uows)
    order, intent = authorised_order(uows, shop)
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=NOW)
    assert gateway.cancelled == [(intent, f"order:{order.id}:authorization:1:cancel")]
    assert gateway.refund_calls == []
    assert view.order.status == "cancelled"
    with uows() as uow:
        assert [a.state for a in uow.payments.attempts(order.id)] == ["canceled"]
    assert "authorisation_released" in [topic for topic, _, _ in outbox(uows, order.id)]


def test_partial_refunds_add_up_to_the_paid_amount_and_no_further(uows, gateway) -> None:
    shop = butcher(uows)
    order, _intent = paid_online_order(uows, gateway, shop)
    # when the merchant refunds 15.00, then 35.00
    first = _refund(uows, gateway, shop, order.id, amount=1500, reason="geste")
    second = _refund(uows, gateway, shop, order.id, amount=3500, reason="retour")
    # then each has its own key, the status follows the ledger
    assert first.order.payment_status == "partially_refunded" and first.refundable == 3500
    assert second.order.payment_status == "refunded" and second.refundable == 0
    assert [key for _, key, _ in gateway.refund_calls] == [f"order:{order.id}:refund:1", f"order:{order.id}:refund:2"]
    # and one cent more is refused with a clear code, without asking the provider
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, amount=1, reason="encore")
    assert (refused.value.code, refused.value.extra["refundable"]) == ("refund_exceeds_refundable", 0)
    assert len(gateway.refund_calls) == 2
    assert order_row(uows, order.id) == ("confirmed", "refunded")
    assert [t for t, _, _ in outbox(uows, order.id)].count("refund_issued") == 2


def test_line_refunds_price_the_lines_and_round_a_partial_weight_half_up(uows, gateway) -> None:
    # given 2 pieces (50.00) and 0.750 kg of beef at 32.90/kg (24.675 -> 24.68)
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop, (shop.product, 2), (shop.beef, "0.750"))
    pieces, beef = order.lines
    assert order.total == 7468
    # when the merchant refunds the whole pieces line and 0.125 kg of beef (4.1125 -> 4.11)
    view = _refund(
        uows, gateway, shop, order.id, lines=[RefundLine(pieces.id), RefundLine(beef.id, "0.125")], reason="x"
    )
    # then
    assert gateway.refund_calls[-1][2] == 5000 + 411
    assert view.refunded == 5411
    # and a line is never refunded beyond its quantity
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, lines=[RefundLine(pieces.id, 1)], reason="again")
    assert refused.value.code == "refund_exceeds_line"
    with pytest.raises(Conflict) as too_much:
        _refund(uows, gateway, shop, order.id, lines=[RefundLine(beef.id, "0.626")], reason="x")
    assert too_much.value.code == "refund_exceeds_line"
    with pytest.raises(InvalidInput):
        _refund(uows, gateway, shop, order.id, lines=[RefundLine(999_999)], reason="x")
    with pytest.raises(InvalidInput):
        _refund(uows, gateway, shop, order.id, amount=1, lines=[RefundLine(beef.id)], reason="x")
    with pytest.raises(InvalidInput):
        _refund(uows, gateway, shop, order.id, amount=1, reason="  ")


def test_concurrent_refunds_never_exceed_what_was_paid(uows, gateway) -> None:
    # given a 50.00 payment
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    # when four merchants' screens each refund 30.00 at the same moment
    results = race([lambda: _refund(uows, gateway, shop, order.id, amount=3000, reason="double clic")] * 4)
    # then exactly one refund was made; the others were refused before reaching the provider
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 3 and all(isinstance(r, Conflict) and r.code == "refund_exceeds_refundable" for r in refused)
    assert len(gateway.refund_calls) == 1
    assert [e[:2] for e in ledger(uows, order.id) if e[0] == "refund"] == [("refund", 3000)]
    assert workflow.get_order(uows(), shop.merchant, order.id).refundable == 2000


def test_a_refund_the_provider_refuses_releases_its_reservation(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    # given the provider will refuse the next refund
    gateway.refuse_next = True
    # when the merchant refunds 10.00
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, amount=1000, reason="x")
    # then it is refused, recorded as failed, and no money is held back by it
    assert refused.value.code == "refund_refused"
    view = workflow.get_order(uows(), shop.merchant, order.id)
    assert [(r.state, r.counted) for r in view.refunds] == [("failed", False)]
    assert view.refundable == 5000
    assert _refund(uows, gateway, shop, order.id, amount=5000, reason="y").refunded == 5000


def test_a_dashboard_refund_not_yet_known_is_learned_before_deciding(uows, gateway) -> None:
    shop = butcher(uows)
    order, intent = paid_online_order(uows, gateway, shop)
    # given someone refunded 45.00 in the Stripe Dashboard and its webhook has not arrived
    gateway.create_refund(intent, 4500, None, {}, idempotency_key="dashboard")
    # when the merchant refunds 10.00, then refuses the order
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, amount=1000, reason="x")
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=NOW)
    # then the 10.00 is refused by our own check, and the refusal refunds the 5.00 that is left
    assert (refused.value.code, refused.value.extra["refundable"]) == ("refund_exceeds_refundable", 500)
    assert gateway.refund_calls[-1][1:] == (f"order:{order.id}:refund:refuse", 500)
    assert (view.order.payment_status, view.refunded, view.refundable) == ("refunded", 5000, 0)


def test_a_refusal_whose_refund_was_refused_is_retried_by_refusing_again(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    gateway.refuse_next = True
    with pytest.raises(Conflict):
        refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=NOW)
    assert order_row(uows, order.id) == ("cancelled", "paid")
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=NOW)
    assert (view.order.payment_status, [(r.number, r.state) for r in view.refunds]) == (
        "refunded",
        [(0, "failed"), (1, "created")],
    )


def test_an_unanswered_refund_stays_reserved_then_is_resent_with_the_same_key(uows, gateway) -> None:
    shop = butcher(uows)
    order, _ = paid_online_order(uows, gateway, shop)
    # given the provider cannot be reached while refunding 20.00
    gateway.unreachable = True
    with pytest.raises(UpstreamUnavailable):
        _refund(uows, gateway, shop, order.id, amount=2000, reason="x")
    gateway.unreachable = False
    # then the 20.00 stays reserved: 40.00 more is refused
    with pytest.raises(Conflict):
        _refund(uows, gateway, shop, order.id, amount=4000, reason="y")
    # when the next refund comes after the reservation went stale
    later = NOW + refunds.STALE_AFTER + timedelta(seconds=1)
    view = _refund(uows, gateway, shop, order.id, at=later, amount=1000, reason="z")
    # then the first was re-sent under its own key before the new one (the refused one reserved nothing)
    keys = [key for _, key, _ in gateway.refund_calls]
    assert keys == [f"order:{order.id}:refund:1", f"order:{order.id}:refund:2"]
    assert (view.refunded, [r.state for r in view.refunds]) == (3000, ["created", "created"])


def test_later_refund_webhooks_change_nothing_and_a_failed_refund_puts_the_money_back(uows, gateway) -> None:
    shop = butcher(uows)
    order, intent = paid_online_order(uows, gateway, shop)
    # given a refund the bank confirms later (pending, like card 4000000000005126 then fails)
    gateway.refund_status = "pending"
    view = _refund(uows, gateway, shop, order.id, amount=5000, reason="x")
    assert view.order.payment_status == "refunded"
    refund_id = view.refunds[0].provider_id
    # when its refund.created webhook arrives, it is a no-op
    created = {"id": refund_id, "object": "refund", "payment_intent": intent, "status": "pending"}
    assert webhooks.ingest(uows(), gateway, event("refund.created", created), now=NOW).outcome == "unchanged"
    # and when the refund fails, refund.failed puts the money back on the shop's side
    gateway.settle_refund(refund_id, "failed")
    failed = created | {"status": "failed"}
    assert webhooks.ingest(uows(), gateway, event("refund.failed", failed), now=NOW).outcome == "changed"
    view = workflow.get_order(uows(), shop.merchant, order.id)
    assert view.order.payment_status == "paid"
    assert [(r.counted, r.reversed) for r in view.refunds] == [(True, True)]
    assert (view.refunded, view.refundable) == (0, 5000)


def test_money_taken_at_the_counter_is_given_back_at_the_counter(uows, gateway) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    workflow.collect_payment(uows(), shop.merchant, order.id, method="cash", amount=order.total, now=NOW)
    view = _refund(uows, gateway, shop, order.id, amount=1200, reason="os en trop")
    assert gateway.refund_calls == []
    assert (view.order.payment_status, view.refunded) == ("partially_refunded", 1200)
    assert ledger(uows, order.id)[-1] == ("refund", 1200, f"order:{order.id}:refund:1", "merchant")
    assert count(uows, RefundRequest, order_id=order.id, state="created") == 1


def test_nothing_paid_nothing_to_refund(uows, gateway) -> None:
    shop = butcher(uows)
    order = pickup_order(uows, shop)
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, amount=100, reason="x")
    assert refused.value.code == "refund_exceeds_refundable"


def test_refusing_an_unpaid_online_order_closes_its_payment_page(uows, gateway) -> None:
    # given an online order whose customer opened the hosted payment page but did not pay
    shop = butcher(uows)
    command = order_of(shop.shop, (shop.product, 1), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, NOW)
    link = checkout.start_checkout(uows(), gateway, shop.customer, order.id, urls=URLS, now=NOW)
    # when the butcher refuses it
    view = refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=NOW)
    # then the order is cancelled with nothing to refund, and the session can no longer be paid
    assert (view.order.status, view.order.payment_status) == ("cancelled", "unpaid")
    assert gateway.sessions[link.id].status == "expired"
    assert gateway.refund_calls == []
