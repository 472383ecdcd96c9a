"""Payment paths that were pinned only against `FakeGateway`, run again against the real sandbox over
HTTP through the real `StripeGateway`, on SQLite and PostgreSQL: the concurrent-refund cap, the
re-send of a stale refund, a Dashboard refund learned before deciding, the reconciler booking refunds
whose events were lost and finishing a card payment whose buyer never came back, and the group-commit
fallback that applies the rest of a group when one event fails.

The service is called directly (as the fake-backed tests do); only the provider is real.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from comptoir.adapters.db.payment_models import LedgerEntry
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.adapters.stripe_gateway import StripeGateway
from comptoir.domain.actors import SYSTEM_WEBHOOK
from comptoir.domain.errors import Conflict, UpstreamUnavailable
from comptoir.services import card_payments, checkout, fulfilment, merchant_refunds, ordering, reconciliation, webhooks
from comptoir.services.merchant_refunds import RefundCommand
from comptoir.services.payment_gateway import Refund, WebhookEvent
from comptoir.services.views import OrderView
from tests.factories import order_of
from tests.integration.merchant_support import URLS, Shop, butcher, ledger
from tests.support import count, order_row, race
from tests.support.faults import fail_paid_order_mail_for
from tests.support.sandbox import API_KEY, RunningSandbox, start_sandbox


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    instance = start_sandbox(Path(tmp_path_factory.mktemp("paths-sandbox")))
    yield instance
    instance.stop()


@pytest.fixture
def gateway(running: RunningSandbox) -> StripeGateway:
    return StripeGateway(API_KEY, [], api_base=running.base_url, max_network_retries=0)


def _now() -> datetime:
    """The shop's clock is the sandbox's (wall time): a Checkout Session's expiry must lie ahead of it."""
    return datetime.now(UTC)


def _paid_online_order(
    uows: SqlUnitOfWorkFactory, gateway: Any, running: RunningSandbox, shop: Shop, quantity: int = 2
) -> tuple[OrderView, str]:
    """An online order paid by card on the sandbox's hosted page and fulfilled: it and its PaymentIntent id."""
    now = _now()
    command = order_of(shop.shop, (shop.product, quantity), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, now)
    link = checkout.start_checkout(uows(), gateway, shop.customer, order.id, urls=URLS, now=now)
    running.sandbox.complete_checkout_with_payment_method(link.id, "pm_card_visa")
    session = gateway.retrieve_checkout_session(link.id)
    assert fulfilment.fulfil_checkout(uows(), session, actor=SYSTEM_WEBHOOK, now=now).outcome == "paid"
    assert session.payment_intent_id is not None
    return order, session.payment_intent_id


def _refund(uows: SqlUnitOfWorkFactory, gateway: Any, shop: Shop, order_id: str, *, at: datetime, **command: Any):
    return merchant_refunds.refund(uows(), gateway, shop.merchant, order_id, RefundCommand(**command), now=at)


def test_concurrent_refunds_never_exceed_what_was_paid(uows, gateway, running) -> None:
    # given a 50.00 payment on the sandbox
    shop = butcher(uows)
    order, intent = _paid_online_order(uows, gateway, running, shop)
    now = _now()
    # when four merchants' screens each refund 30.00 at the same moment
    results = race([lambda: _refund(uows, gateway, shop, order.id, at=now, amount=3000, reason="double clic")] * 4)
    # then one refund reached the provider; the others were refused by our own reservation
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 3 and all(isinstance(r, Conflict) and r.code == "refund_exceeds_refundable" for r in refused)
    assert [r.amount for r in gateway.list_refunds(intent)] == [3000]
    assert [e[:2] for e in ledger(uows, order.id) if e[0] == "refund"] == [("refund", 3000)]


class _AnswerLost:
    """The real gateway, except that the next refund reaches the sandbox and its answer never comes back."""

    def __init__(self, gateway: StripeGateway) -> None:
        self._gateway = gateway
        self.lose_next_answer = False
        self.refund_keys: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def create_refund(self, *args: Any, idempotency_key: str, **kwargs: Any) -> Refund:
        self.refund_keys.append(idempotency_key)
        refund = self._gateway.create_refund(*args, idempotency_key=idempotency_key, **kwargs)
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise UpstreamUnavailable("Stripe is unavailable: connection reset before the answer")
        return refund


def test_a_refund_whose_answer_was_lost_stays_reserved_then_is_resent_with_the_same_key(uows, gateway, running) -> None:
    shop = butcher(uows)
    lossy = _AnswerLost(gateway)
    order, intent = _paid_online_order(uows, lossy, running, shop)
    now = _now()
    # given a 20.00 refund the sandbox made but whose answer was lost
    lossy.lose_next_answer = True
    with pytest.raises(UpstreamUnavailable):
        _refund(uows, lossy, shop, order.id, at=now, amount=2000, reason="x")
    # then the 20.00 stays reserved: 40.00 more is refused
    with pytest.raises(Conflict):
        _refund(uows, lossy, shop, order.id, at=now, amount=4000, reason="y")
    # when the next refund comes after the reservation went stale
    later = now + merchant_refunds.STALE_AFTER + timedelta(seconds=1)
    view = _refund(uows, lossy, shop, order.id, at=later, amount=1000, reason="z")
    # then the first was re-sent under its own key (the sandbox replayed it, no second 20.00) before the new one
    assert lossy.refund_keys == [
        f"order:{order.id}:refund:1",
        f"order:{order.id}:refund:1",
        f"order:{order.id}:refund:2",
    ]
    assert sorted(r.amount for r in gateway.list_refunds(intent)) == [1000, 2000]
    assert (view.refunded, [r.state for r in view.refunds]) == (3000, ["created", "created"])


def test_a_dashboard_refund_not_yet_known_is_learned_before_deciding(uows, gateway, running) -> None:
    shop = butcher(uows)
    order, intent = _paid_online_order(uows, gateway, running, shop)
    now = _now()
    # given someone refunded 45.00 in the Stripe Dashboard and its webhook has not arrived
    gateway.create_refund(intent, 4500, None, {}, idempotency_key=f"dashboard:{order.id}")
    # when the merchant refunds 10.00, then refuses the order
    with pytest.raises(Conflict) as refused:
        _refund(uows, gateway, shop, order.id, at=now, amount=1000, reason="x")
    view = merchant_refunds.refuse(uows(), gateway, shop.merchant, order.id, reason="fermé", now=now)
    # then the 10.00 is refused by our own check, and the refusal refunds the 5.00 that is left
    assert (refused.value.code, refused.value.extra["refundable"]) == ("refund_exceeds_refundable", 500)
    assert sorted(r.amount for r in gateway.list_refunds(intent)) == [500, 4500]
    assert (view.order.payment_status, view.refunded, view.refundable) == ("refunded", 5000, 0)


def test_the_reconciler_books_refunds_whose_events_were_all_lost(uows, gateway, running) -> None:
    # given a paid order, refunded twice in the Dashboard, and not one refund event delivered
    shop = butcher(uows)
    order, intent = _paid_online_order(uows, gateway, running, shop)
    gateway.create_refund(intent, 1000, None, {}, idempotency_key=f"dashboard:{order.id}:1")
    gateway.create_refund(intent, 4000, None, {}, idempotency_key=f"dashboard:{order.id}:2")
    # when the reconciler runs (twice)
    first = reconciliation.reconcile(uows(), gateway, now=_now() + timedelta(minutes=5))
    second = reconciliation.reconcile(uows(), gateway, now=_now() + timedelta(minutes=6))
    # then both refunds are booked once and the order is refunded
    assert (order.id, "refunds_synced") in [(r.order_id, r.action) for r in first.repairs]
    assert order.id not in [r.order_id for r in second.repairs]
    assert order_row(uows, order.id) == ("confirmed", "refunded")
    assert count(uows, LedgerEntry, order_id=order.id, kind="refund") == 2


def test_the_reconciler_records_a_card_payment_whose_buyer_never_came_back(uows, gateway, running) -> None:
    # given a buyer who passed 3-D Secure on the sandbox, then closed the tab; the webhook was lost
    shop = butcher(uows)
    now = _now()
    command = order_of(shop.shop, (shop.product, 2), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, now)
    pending = card_payments.pay_order(
        uows(), gateway, shop.customer, order.id, now=now, payment_method_id="pm_card_threeDSecure2Required"
    )
    assert pending.payment_intent_id is not None
    gateway_intent = gateway.retrieve_payment_intent(pending.payment_intent_id)
    assert gateway_intent.status == "requires_action"
    running.sandbox.complete_3ds(pending.payment_intent_id)
    # when the reconciler runs (twice)
    report = reconciliation.reconcile(uows(), gateway, now=now)
    again = reconciliation.reconcile(uows(), gateway, now=now)
    # then the payment is recorded once and the order confirmed
    assert ("fulfilled", pending.payment_intent_id) in [(r.action, r.reference) for r in report.repairs]
    assert pending.payment_intent_id not in [r.reference for r in again.repairs]
    assert [e[:3] for e in ledger(uows, order.id)] == [("payment", 5000, pending.payment_intent_id)]
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_a_failing_event_fails_alone_and_the_rest_of_its_group_applies(uows, gateway, running, monkeypatch) -> None:
    # given three paid sessions and the sandbox's own checkout.session.completed events for them
    shop = butcher(uows)
    orders_and_events = [_completed(uows, gateway, running, shop) for _ in range(3)]
    (ok_before, first), (doomed, doomed_event), (ok_after, last) = orders_and_events
    fail_paid_order_mail_for(monkeypatch, doomed.id)
    # when the group is ingested
    now = _now()
    outcomes = webhooks.ingest_many(uows(), gateway, [(first, now), (doomed_event, now), (last, now)])
    # then the failing event is answered 5xx, left no trace but its `failed` row, and the others applied
    assert isinstance(outcomes[1], webhooks.WebhookProcessingFailed)
    assert [outcomes[0].status, outcomes[2].status] == ["processed", "processed"]
    assert order_row(uows, doomed.id) == ("pending", "unpaid")
    assert count(uows, LedgerEntry, order_id=doomed.id) == 0
    assert webhooks.failed_event_ids(uows()) == [doomed_event.id]
    for order in (ok_before, ok_after):
        assert order_row(uows, order.id) == ("confirmed", "paid")
        assert count(uows, LedgerEntry, order_id=order.id) == 1


def _completed(
    uows: SqlUnitOfWorkFactory, gateway: StripeGateway, running: RunningSandbox, shop: Shop
) -> tuple[OrderView, WebhookEvent]:
    """A pending order paid on the hosted page, and the `checkout.session.completed` the sandbox emitted for it."""
    now = _now()
    command = order_of(shop.shop, (shop.product, 1), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, now)
    link = checkout.start_checkout(uows(), gateway, shop.customer, order.id, urls=URLS, now=now)
    running.sandbox.complete_checkout_with_payment_method(link.id, "pm_card_visa")
    event_id = running.sandbox.checkout_completed_event(link.id)
    assert event_id is not None
    raw = running.client().v1.events.retrieve(event_id).to_dict()
    return order, WebhookEvent(
        id=raw["id"], type=raw["type"], created=int(raw["created"]), object=raw["data"]["object"], raw=raw
    )
